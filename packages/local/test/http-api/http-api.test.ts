import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import type { HttpRouteDecl } from "@pushgate/core";
import { startHttpApi, type CorsConfig, type HttpApi } from "../../src/http-api";
import { createInvoker } from "../../src/invoke";
import { collectingLog, FakeTime } from "../invoke/fake-time";

type Handler = (event: APIGatewayProxyEventV2) => unknown;

let api: HttpApi | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

/** Starts the emulator with the test's own handlers behind the given route keys. */
async function start(routes: Record<string, Handler>, options: { cors?: CorsConfig | false } = {}) {
  const time = new FakeTime();
  const logs = collectingLog();
  const events: APIGatewayProxyEventV2[] = [];
  const decls: Record<string, HttpRouteDecl> = {};
  const handlers = new Map<string, Handler>();
  for (const [key, handler] of Object.entries(routes)) {
    const path = `test/http/${Object.keys(decls).length}.handler`;
    decls[key] = { function: { handler: path, timeoutSeconds: 5, memoryMB: 128, grants: {} } };
    handlers.set(path, handler);
  }
  const invoke = createInvoker({
    loadHandler: async (fn) => async (event: APIGatewayProxyEventV2) => {
      events.push(event);
      return handlers.get(fn.handler)!(event);
    },
    log: logs.log,
  });
  api = await startHttpApi({ routes: decls, invoke, cors: options.cors, log: logs.log, clock: time });
  return { api, events, logs, time };
}

describe("HTTP API routing", () => {
  it("passes path parameters, decoded, to the matching route", async () => {
    const t = await start({ "POST /games/{gameId}/score": () => ({ ok: true }) });
    const response = await fetch(`${t.api.url}/games/g%201/score`, { method: "POST" });
    expect(response.status).toBe(200);
    expect(t.events[0]!.routeKey).toBe("POST /games/{gameId}/score");
    expect(t.events[0]!.pathParameters).toEqual({ gameId: "g 1" });
  });

  it("answers 404 Not Found when no route matches (method or path)", async () => {
    const t = await start({ "POST /session": () => "x" });
    for (const [method, path] of [
      ["GET", "/session"],
      ["POST", "/sessions"],
      ["POST", "/session/extra"],
    ]) {
      const response = await fetch(`${t.api.url}${path}`, { method });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ message: "Not Found" });
    }
    expect(t.events).toHaveLength(0);
  });

  it("prefers the most specific route, whatever the declaration order", async () => {
    const t = await start({
      $default: () => "default",
      "ANY /{proxy+}": () => "greedy",
      "GET /queues/{eventId}": () => "param",
      "GET /queues/special": () => "literal",
    });
    const text = async (path: string, method = "GET") => (await fetch(`${t.api.url}${path}`, { method })).text();
    expect(await text("/queues/special")).toBe("literal");
    expect(await text("/queues/e7")).toBe("param");
    expect(await text("/queues/e7/more")).toBe("greedy");
    expect(t.events.at(-1)!.pathParameters).toEqual({ proxy: "queues/e7/more" });
    expect(await text("/", "DELETE")).toBe("default");
    expect(t.events.at(-1)!.routeKey).toBe("$default");
  });

  it("refuses a malformed route key at start with what to fix", async () => {
    await expect(start({ "POST games": () => "x" })).rejects.toThrow(/"POST games" is not "METHOD \/path".*topology\.ts/);
  });
});

describe("payload format 2.0 event", () => {
  it("has the AWS shape", async () => {
    const t = await start({ "POST /queues/{eventId}/join": () => ({}) });
    await fetch(`${t.api.url}/queues/e7/join?seat=a&seat=b&x=1%202`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Custom": "one", Cookie: "a=1; b=2", "User-Agent": "fan/1" },
      body: JSON.stringify({ hello: "world" }),
    });
    const event = t.events[0]!;
    expect(event).toMatchObject({
      version: "2.0",
      routeKey: "POST /queues/{eventId}/join",
      rawPath: "/queues/e7/join",
      rawQueryString: "seat=a&seat=b&x=1%202",
      queryStringParameters: { seat: "a,b", x: "1 2" },
      pathParameters: { eventId: "e7" },
      cookies: ["a=1", "b=2"],
      body: '{"hello":"world"}',
      isBase64Encoded: false,
      requestContext: {
        accountId: "123456789012",
        apiId: "pushgatehttp",
        domainName: `127.0.0.1:${t.api.port}`,
        http: { method: "POST", path: "/queues/e7/join", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "fan/1" },
        routeKey: "POST /queues/{eventId}/join",
        stage: "$default",
        time: "22/Nov/2026:12:00:00 +0000",
        timeEpoch: t.time.now(),
      },
    });
    expect(event.requestContext.requestId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(event.headers["content-type"]).toBe("application/json");
    expect(event.headers["x-custom"]).toBe("one");
    expect(event.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(event.headers).not.toHaveProperty("cookie");
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it("leaves out query, path parameters, cookies and body when there are none", async () => {
    const t = await start({ "GET /snapshots": () => ({}) });
    await fetch(`${t.api.url}/snapshots`);
    const event = t.events[0]!;
    expect(event.rawQueryString).toBe("");
    for (const field of ["queryStringParameters", "pathParameters", "cookies", "body"]) expect(event).not.toHaveProperty(field);
    expect(event.isBase64Encoded).toBe(false);
  });

  it("base64-encodes binary and form bodies", async () => {
    const t = await start({ "POST /jobs": () => ({}) });
    const bytes = Buffer.from([0, 255, 1, 2]);
    await fetch(`${t.api.url}/jobs`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes });
    expect(t.events[0]).toMatchObject({ body: bytes.toString("base64"), isBase64Encoded: true });
    await fetch(`${t.api.url}/jobs`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=1" });
    expect(t.events[1]).toMatchObject({ body: Buffer.from("a=1").toString("base64"), isBase64Encoded: true });
  });
});

describe("result mapping", () => {
  it("sends a string as a 200 JSON body", async () => {
    const t = await start({ "GET /s": () => '{"a":1}' });
    const response = await fetch(`${t.api.url}/s`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.text()).toBe('{"a":1}');
  });

  it("sends an object without statusCode as 200 JSON", async () => {
    const t = await start({ "GET /s": () => ({ jobId: "j1", resultUrl: "http://x" }) });
    const response = await fetch(`${t.api.url}/s`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ jobId: "j1", resultUrl: "http://x" });
  });

  it("honours statusCode, headers, body, cookies and base64 bodies", async () => {
    const t = await start({
      "POST /session": () => ({
        statusCode: 201,
        headers: { "Content-Type": "text/plain", "X-Seq": 12 },
        body: Buffer.from("créé").toString("base64"),
        isBase64Encoded: true,
        cookies: ["sid=1; HttpOnly", "theme=dark"],
      }),
    });
    const response = await fetch(`${t.api.url}/session`, { method: "POST" });
    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toBe("text/plain");
    expect(response.headers.get("x-seq")).toBe("12");
    expect(response.headers.getSetCookie()).toEqual(["sid=1; HttpOnly", "theme=dark"]);
    expect(response.headers.get("apigw-requestid")).toBe(t.events[0]!.requestContext.requestId);
    expect(await response.text()).toBe("créé");
  });

  it("answers a throwing handler with 500 Internal Server Error and logs it", async () => {
    const t = await start({
      "POST /jobs": () => {
        throw new Error("bucket missing");
      },
    });
    const response = await fetch(`${t.api.url}/jobs`, { method: "POST" });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: "Internal Server Error" });
    expect(t.logs.text()).toContain("bucket missing");
  });

  it("answers a malformed result with 500, as API Gateway does", async () => {
    const t = await start({ "GET /bad": () => ({ statusCode: "200", body: "x" }) });
    const response = await fetch(`${t.api.url}/bad`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: "Internal Server Error" });
    expect(t.logs.text()).toContain("malformed response");
  });
});

describe("CORS", () => {
  const preflight = (url: string, origin = "http://localhost:5173") =>
    fetch(url, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });

  it("answers preflights itself with the default allowed headers", async () => {
    const t = await start({ "POST /session": () => "x" });
    const response = await preflight(`${t.api.url}/session`);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-headers")).toBe("authorization,content-type,x-operator-key,if-none-match");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(t.events).toHaveLength(0);
  });

  it("adds Access-Control-Allow-Origin to responses, replacing the handler's", async () => {
    const t = await start({
      "POST /session": () => ({ statusCode: 200, headers: { "access-control-allow-origin": "https://evil.example" }, body: "{}" }),
    });
    const response = await fetch(`${t.api.url}/session`, { method: "POST", headers: { origin: "http://localhost:5173" } });
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("allows only configured origins, echoing the allowed one", async () => {
    const t = await start({ "GET /snapshots": () => "x" }, { cors: { allowOrigins: ["https://fans.example"] } });
    const allowed = await fetch(`${t.api.url}/snapshots`, { headers: { origin: "https://fans.example" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://fans.example");
    expect(allowed.headers.get("vary")).toBe("Origin");
    const other = await fetch(`${t.api.url}/snapshots`, { headers: { origin: "https://elsewhere.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const otherPreflight = await preflight(`${t.api.url}/snapshots`, "https://elsewhere.example");
    expect(otherPreflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("can be turned off", async () => {
    const t = await start({ "GET /snapshots": () => "x" }, { cors: false });
    const response = await fetch(`${t.api.url}/snapshots`, { headers: { origin: "http://localhost:5173" } });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect((await preflight(`${t.api.url}/snapshots`)).status).toBe(404);
  });
});

describe("stop()", () => {
  it("frees the port, even with keep-alive connections open", async () => {
    const t = await start({ "GET /s": () => "x" });
    await (await fetch(`${t.api.url}/s`)).text();
    await t.api.stop();
    await expect(fetch(`${t.api.url}/s`)).rejects.toThrow();
  });
});

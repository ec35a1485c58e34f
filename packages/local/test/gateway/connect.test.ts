import { afterEach, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "./harness";

let current: TestGateway | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});
const start = async (options: Parameters<typeof startTestGateway>[0]) => (current = await startTestGateway(options));

describe("$connect", () => {
  it("sends an AWS-shaped CONNECT event before the upgrade completes", async () => {
    const t = await start({ routes: { $connect: {} } });
    const client = t.connect({ path: "/local?token=abc&team=a&team=b", headers: { "user-agent": "pushgate-test/1.0" } });
    await client;
    const event = t.recorder.of("$connect")[0]!;
    const context = event.requestContext;
    expect(context).toMatchObject({
      routeKey: "$connect",
      eventType: "CONNECT",
      messageId: null,
      messageDirection: "IN",
      stage: "local",
      apiId: "pushgatelocal",
      domainName: `127.0.0.1:${t.gateway.port}`,
      connectedAt: t.time.now(),
      requestTimeEpoch: t.time.now(),
      requestTime: "22/Nov/2026:12:00:00 +0000",
      identity: { sourceIp: "127.0.0.1", userAgent: "pushgate-test/1.0" },
    });
    expect(context.connectionId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(context.requestId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(context.extendedRequestId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    // Header names as the client spelled them, as API Gateway passes them.
    expect(event.headers?.["Sec-WebSocket-Key"]).toMatch(/==$/);
    expect(event.headers?.["Sec-WebSocket-Version"]).toBe("13");
    expect(event.headers?.["X-Forwarded-For"]).toBe("127.0.0.1");
    expect(event.multiValueHeaders?.["Sec-WebSocket-Version"]).toEqual(["13"]);
    expect(event.queryStringParameters).toEqual({ token: "abc", team: "b" });
    expect(event.multiValueQueryStringParameters).toEqual({ token: ["abc"], team: ["a", "b"] });
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
    expect(t.gateway.connections().map((c) => c.connectionId)).toEqual([context.connectionId]);
  });

  it("leaves queryStringParameters out when the URL has no query", async () => {
    const t = await start({ routes: { $connect: {} } });
    await t.connect();
    const event = t.recorder.of("$connect")[0]!;
    expect(event).not.toHaveProperty("queryStringParameters");
    expect(event).not.toHaveProperty("multiValueQueryStringParameters");
  });

  it("waits for $connect: the socket opens only after the handler answers", async () => {
    let release!: () => void;
    const answered = new Promise<void>((resolve) => (release = resolve));
    const t = await start({ routes: { $connect: { handler: () => answered.then(() => ({ statusCode: 200 })) } } });
    const client = t.connect();
    let opened = false;
    void client.then(() => (opened = true));
    await t.recorder.waitFor("$connect");
    // The handler is running and has not answered: no upgrade yet.
    expect(opened).toBe(false);
    expect(t.gateway.connections()).toHaveLength(0);
    release();
    await client;
    expect(t.gateway.connections()).toHaveLength(1);
  });

  it("rejects the handshake with the handler's non-2xx status (401)", async () => {
    const t = await start({ routes: { $connect: { handler: () => ({ statusCode: 401, body: "token expired" }) }, $disconnect: {} } });
    await expect(t.connect()).rejects.toThrow("Unexpected server response: 401");
    expect(t.gateway.connections()).toHaveLength(0);
    expect(t.recorder.of("$disconnect")).toHaveLength(0);
  });

  it("rejects with 403 when the handler says so", async () => {
    const t = await start({ routes: { $connect: { handler: () => ({ statusCode: 403 }) } } });
    await expect(t.connect()).rejects.toThrow("Unexpected server response: 403");
  });

  it("rejects with 500 when the handler throws, and logs the error", async () => {
    const t = await start({
      routes: {
        $connect: {
          handler: () => {
            throw new Error("jwt secret missing");
          },
        },
      },
    });
    await expect(t.connect()).rejects.toThrow("Unexpected server response: 500");
    expect(t.logs.text()).toContain("jwt secret missing");
  });

  it("accepts a result without statusCode, and undefined, as success", async () => {
    const t = await start({ routes: { $connect: { handler: () => ({ body: "ok" }) } } });
    await expect(t.connect()).resolves.toBeDefined();
  });

  it("selects the subprotocol the handler returns in Sec-WebSocket-Protocol", async () => {
    const t = await start({
      routes: { $connect: { handler: () => ({ statusCode: 200, headers: { "Sec-WebSocket-Protocol": "pushgate.v1" } }) } },
    });
    const ws = await t.connect({ protocols: ["pushgate.v1", "token.eyJhbGciOi"] });
    expect(ws.protocol).toBe("pushgate.v1");
    expect(t.recorder.of("$connect")[0]!.headers?.["Sec-WebSocket-Protocol"]).toBe("pushgate.v1,token.eyJhbGciOi");
  });

  it("selects no subprotocol unless the handler does, so a client that offered some fails as a browser would", async () => {
    const t = await start({ routes: { $connect: { handler: () => ({ statusCode: 200 }) } } });
    await expect(t.connect({ protocols: ["pushgate.v1"] })).rejects.toThrow("Server sent no subprotocol");
  });

  it("accepts every connection when there is no $connect route", async () => {
    const t = await start({ routes: { $default: {} } });
    await t.connect();
    expect(t.gateway.connections()).toHaveLength(1);
  });

  it("answers 403 for a path other than the stage", async () => {
    const t = await start({ routes: { $connect: {} } });
    await expect(t.connect({ path: "/prod" })).rejects.toThrow("Unexpected server response: 403");
    expect(t.recorder.of("$connect")).toHaveLength(0);
  });
});

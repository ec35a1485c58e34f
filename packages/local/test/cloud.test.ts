import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startLocalCloud, type LocalCloud } from "../src";
import { recordsWrittenTo } from "./fixtures/echo-handlers";
import { echoTopology } from "./fixtures/echo-topology";

const portIsClosed = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = createConnection({ host: hostname, port: Number(port) });
    socket.once("connect", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(true));
  });

const processIsGone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

describe("startLocalCloud", () => {
  let cloud: LocalCloud;
  let readyMs = 0;
  const logLines: string[] = [];
  const scratch = mkdtempSync(join(tmpdir(), "pushgate-cloud-"));
  const receivedFile = join(scratch, "received.jsonl");
  const received = () => recordsWrittenTo(receivedFile);

  beforeAll(async () => {
    const started = performance.now();
    cloud = await startLocalCloud({
      topology: echoTopology,
      stage: "t",
      environment: { ECHO_RECEIVED_FILE: receivedFile },
      log: (level, message) => logLines.push(`${level}: ${message}`),
    });
    readyMs = performance.now() - started;
    console.log(`local cloud ready in ${readyMs.toFixed(0)} ms`);
  });
  afterAll(async () => {
    await cloud?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("reports every endpoint under the keys endpoints.json promises", () => {
    expect(Object.keys(cloud.endpoints).sort()).toEqual(
      [
        "adminCredentials",
        "buckets",
        "dynamodbEndpoint",
        "httpApiUrl",
        "managementEndpoint",
        "operatorKey",
        "queues",
        "region",
        "s3Endpoint",
        "sqsEndpoint",
        "ssmEndpoint",
        "tables",
        "webUrl",
        "websocketUrl",
      ].sort(),
    );
    expect(cloud.endpoints.tables).toEqual({ items: "t-echo-items" });
    expect(cloud.endpoints.buckets).toEqual({ files: "t-echo-files" });
    expect(cloud.endpoints.websocketUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/t$/);
    expect(cloud.endpoints.operatorKey).toBe(cloud.secrets.OPERATOR_KEY);
    expect(cloud.endpoints.operatorKey.length).toBeGreaterThanOrEqual(32);
  });

  it("runs the topology's WebSocket route with the environment SST would set", async () => {
    const socket = new WebSocket(cloud.endpoints.websocketUrl);
    const reply = await new Promise<Record<string, string>>((resolve, reject) => {
      socket.once("open", () => socket.send(JSON.stringify({ action: "echo", n: 1 })));
      socket.once("message", (data) => resolve(JSON.parse(String(data))));
      socket.once("error", reject);
    });
    socket.close();
    expect(JSON.parse(reply.echo!)).toEqual({ action: "echo", n: 1 });
    expect(reply.table).toBe("t-echo-items");
    // The function's environment is its sandbox's, not the emulator's.
    expect(process.env.PUSHGATE_TABLE_ITEMS).toBeUndefined();
    const echo = cloud.environmentFor(echoTopology.websocket.routes.echo!.function);
    expect(echo.AWS_ACCESS_KEY_ID).toMatch(/^ASIA/);
    expect(process.env.AWS_ACCESS_KEY_ID).not.toBe(echo.AWS_ACCESS_KEY_ID);
  });

  it("runs the topology's HTTP route", async () => {
    const response = await fetch(`${cloud.endpoints.httpApiUrl}/hello`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ hello: "world" });
  });

  it("applies the HTTP API's CORS as AWS does (browserApiCors): a page may GET and POST and read Date; a page's PUT is refused", async () => {
    const origin = "https://fans.example";
    const get = await fetch(`${cloud.endpoints.httpApiUrl}/hello`, { headers: { origin } });
    expect(get.headers.get("access-control-allow-origin")).toBe("*");
    expect(get.headers.get("access-control-expose-headers")).toBe("date");
    const preflight = (method: string, headers: string) =>
      fetch(`${cloud.endpoints.httpApiUrl}/hello`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
      });
    const post = await preflight("POST", "authorization,content-type");
    expect(post.headers.get("access-control-allow-methods")?.split(",")).toContain("POST");
    // The emulator's permissive default allowed these; the deployed API does not (stacks/Gateway.ts).
    const put = await preflight("PUT", "content-type");
    expect(put.headers.get("access-control-allow-methods")?.split(",") ?? []).not.toContain("PUT");
    const operatorHeader = await preflight("POST", "x-operator-key");
    expect(operatorHeader.headers.get("access-control-allow-headers")?.split(",") ?? []).not.toContain("x-operator-key");
  });

  it("logs a 5xx answer once, with the function, the route and the request id", async () => {
    const response = await fetch(`${cloud.endpoints.httpApiUrl}/broken`);
    expect(response.status).toBe(503);
    expect(logLines.filter((line) => line.includes("broken"))).toEqual([
      expect.stringMatching(
        /^error: packages\/local\/test\/fixtures\/echo-handlers \(GET \/broken\) \(request [0-9a-f-]{36}\) answered statusCode 503/,
      ),
    ]);
  });

  it("delivers a table write to the topology's stream consumer", async () => {
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: cloud.endpoints.dynamodbEndpoint,
        region: "us-east-1",
        credentials: cloud.endpoints.adminCredentials,
      }),
    );
    await documents.send(new PutCommand({ TableName: "t-echo-items", Item: { id: "a1", value: 42 } }));
    await cloud.drained();
    const record = received().find((r) => r.dynamodb?.Keys?.id?.S === "a1");
    expect(record?.eventName).toBe("INSERT");
    expect(record?.eventSourceARN).toContain("t-echo-items");
  });

  it("stops every server and DynamoDB Local, leaving no port or process behind", async () => {
    const { websocketUrl, httpApiUrl, dynamodbEndpoint, s3Endpoint } = cloud.endpoints;
    const pid = cloud.dynamodbPid;
    await cloud.stop();
    for (const url of [websocketUrl.replace("ws:", "http:"), httpApiUrl!, dynamodbEndpoint, s3Endpoint]) {
      expect(await portIsClosed(url), `${url} still listens`).toBe(true);
    }
    expect(processIsGone(pid), `DynamoDB Local (pid ${pid}) still runs`).toBe(true);
    expect(process.env.PUSHGATE_TABLE_ITEMS).toBeUndefined();
  });
});

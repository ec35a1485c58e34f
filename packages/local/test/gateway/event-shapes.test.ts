/**
 * The WebSocket events as AWS sends them, field by field where handlers read
 * them: captured AWS events are in aws/aws-lambda-go events/testdata
 * (apigw-websocket-request-disconnect.json, -send-message.json) and a $connect
 * capture in gist.github.com/noid11/4aa8933d0b5cdbcc09d377c5d65d28c1.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { WebSocketEvent } from "../../src/gateway";
import { startTestGateway, type TestGateway } from "./harness";

let current: TestGateway | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});
const start = async (options: Parameters<typeof startTestGateway>[0]) => (current = await startTestGateway(options));

describe("event shapes as AWS sends them", () => {
  it("$disconnect carries Host and the headers AWS sends, so an AWS handler reading event.headers.Host does not throw", async () => {
    const hosts: string[] = [];
    // A handler as written for AWS: it reads a header on $disconnect.
    const awsStyleDisconnect = (event: WebSocketEvent) => {
      hosts.push(event.headers!.Host!.toLowerCase());
      return { statusCode: 200 };
    };
    const t = await start({ routes: { $connect: {}, $disconnect: { handler: awsStyleDisconnect } } });
    const ws = await t.connect();
    ws.close(1000, "bye");
    const event = await t.recorder.waitFor("$disconnect");
    expect(t.logs.lines.filter((line) => line.level === "error")).toEqual([]);
    expect(hosts).toEqual([`127.0.0.1:${t.gateway.port}`]);
    expect(event.headers).toEqual({ Host: `127.0.0.1:${t.gateway.port}`, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": "" });
    expect(event.multiValueHeaders).toEqual({
      Host: [`127.0.0.1:${t.gateway.port}`],
      "x-api-key": [""],
      "X-Forwarded-For": [""],
      "x-restapi": [""],
    });
    expect(event.headers!.Host).toBe(event.requestContext.domainName);
  });

  it("requestId equals extendedRequestId on $connect, messages and $disconnect, and differs between requests", async () => {
    const t = await start({ routes: { $connect: {}, $default: { routeResponse: true, handler: () => "ok" }, $disconnect: {} } });
    const client = t.connect();
    const ws = await client;
    ws.send("one");
    await client.nextMessage();
    ws.send("two");
    await client.nextMessage();
    ws.close();
    await t.recorder.waitFor("$disconnect");
    const contexts = t.recorder.events.map((event) => event.requestContext);
    expect(contexts.map((context) => context.routeKey)).toEqual(["$connect", "$default", "$default", "$disconnect"]);
    for (const context of contexts) expect(context.requestId).toBe(context.extendedRequestId);
    expect(new Set(contexts.map((context) => context.requestId)).size).toBe(4);
  });

  it("identity: every field on $connect (null where AWS has nothing), sourceIp and userAgent on messages and $disconnect", async () => {
    const t = await start({ routes: { $connect: {}, $default: { routeResponse: true, handler: () => "ok" }, $disconnect: {} } });
    const client = t.connect({ headers: { "User-Agent": "fan-browser/3" } });
    const ws = await client;
    ws.send("hi");
    await client.nextMessage();
    ws.close();
    await t.recorder.waitFor("$disconnect");
    expect(t.recorder.of("$connect")[0]!.requestContext.identity).toEqual({
      cognitoIdentityPoolId: null,
      cognitoIdentityId: null,
      principalOrgId: null,
      cognitoAuthenticationType: null,
      userArn: null,
      userAgent: "fan-browser/3",
      accountId: null,
      caller: null,
      sourceIp: "127.0.0.1",
      accessKey: null,
      cognitoAuthenticationProvider: null,
      user: null,
    });
    expect(t.recorder.of("$default")[0]!.requestContext.identity).toEqual({ sourceIp: "127.0.0.1", userAgent: "fan-browser/3" });
    expect(t.recorder.of("$disconnect")[0]!.requestContext.identity).toEqual({ sourceIp: "127.0.0.1", userAgent: "fan-browser/3" });
  });

  it("userAgent is null, not empty, when the handshake has none", async () => {
    const t = await start({ routes: { $connect: {} } });
    await t.connect();
    expect(t.recorder.of("$connect")[0]!.requestContext.identity.userAgent).toBeNull();
  });
});

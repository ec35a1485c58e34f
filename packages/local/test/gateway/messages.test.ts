import { afterEach, describe, expect, it } from "vitest";
import type { WebSocketEvent } from "../../src/gateway";
import { startTestGateway, type TestGateway } from "./harness";

let current: TestGateway | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});
const start = async (options: Parameters<typeof startTestGateway>[0]) => (current = await startTestGateway(options));

const echoRoute = (name: string) => ({
  routeResponse: true,
  handler: (event: WebSocketEvent) => ({ statusCode: 200, body: `${name}:${event.body}` }),
});

describe("messages", () => {
  it("sends an AWS-shaped MESSAGE event to the route named by action", async () => {
    const t = await start({ routes: { $connect: {}, echo: echoRoute("echo") } });
    const client = t.connect();
    const ws = await client;
    const body = JSON.stringify({ action: "echo", n: 1 });
    ws.send(body);
    expect(await client.nextMessage()).toBe(`echo:${body}`);
    const connect = t.recorder.of("$connect")[0]!;
    const event = t.recorder.of("echo")[0]!;
    expect(event.requestContext).toMatchObject({
      routeKey: "echo",
      eventType: "MESSAGE",
      messageDirection: "IN",
      connectionId: connect.requestContext.connectionId,
      connectedAt: connect.requestContext.connectedAt,
      identity: { sourceIp: "127.0.0.1" },
      stage: "local",
      apiId: "pushgatelocal",
    });
    expect(event.requestContext.messageId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(event.requestContext.requestId).not.toBe(connect.requestContext.requestId);
    expect(event.body).toBe(body);
    expect(event.isBase64Encoded).toBe(false);
    expect(event).not.toHaveProperty("headers");
    expect(event).not.toHaveProperty("queryStringParameters");
  });

  it.each([
    ["an unknown action", JSON.stringify({ action: "dance" })],
    ["a non-string action", JSON.stringify({ action: 7 })],
    ["no action", JSON.stringify({ id: "r1" })],
    ["a JSON array", JSON.stringify([{ action: "echo" }])],
    ["a JSON string", JSON.stringify("echo")],
    ["text that is not JSON", "hello"],
    ["an action naming a $ route", JSON.stringify({ action: "$connect" })],
  ])("routes %s to $default", async (_what, body) => {
    const t = await start({ routes: { echo: echoRoute("echo"), $default: echoRoute("default") } });
    const client = t.connect();
    const ws = await client;
    ws.send(body);
    expect(await client.nextMessage()).toBe(`default:${body}`);
  });

  it("answers AWS's Forbidden frame when nothing matches and there is no $default", async () => {
    const t = await start({ routes: { echo: echoRoute("echo") } });
    const client = t.connect();
    const ws = await client;
    ws.send("hello");
    const frame = JSON.parse(await client.nextMessage());
    expect(frame).toEqual({ message: "Forbidden", connectionId: t.gateway.connections()[0]!.connectionId, requestId: expect.any(String) });
  });

  it("sends the route response only for routes that declare it", async () => {
    const t = await start({
      routes: {
        silent: { routeResponse: false, handler: () => ({ statusCode: 200, body: "must not arrive" }) },
        echo: echoRoute("echo"),
      },
    });
    const client = t.connect();
    const ws = await client;
    ws.send(JSON.stringify({ action: "silent" }));
    await t.recorder.waitFor("silent");
    ws.send(JSON.stringify({ action: "echo" }));
    // Had the silent route's answer been sent, it would have been queued first.
    expect(await client.nextMessage()).toBe(`echo:${JSON.stringify({ action: "echo" })}`);
  });

  it("sends a returned string as the route response, and drops results without a string body", async () => {
    const results: unknown[] = [{ statusCode: 200 }, { body: { not: "a string" } }, undefined, "plain string"];
    const t = await start({ routes: { $default: { routeResponse: true, handler: () => results.shift() } } });
    const client = t.connect();
    const ws = await client;
    for (let i = 0; i < 3; i++) {
      ws.send(`m${i}`);
      await t.recorder.waitFor("$default", i + 1);
    }
    ws.send("m3");
    expect(await client.nextMessage()).toBe("plain string");
  });

  it("answers a throwing handler with AWS's internal-error frame and keeps the connection", async () => {
    let calls = 0;
    const t = await start({
      routes: {
        $default: {
          routeResponse: true,
          handler: () => {
            calls += 1;
            if (calls === 1) throw new Error("dynamo down");
            return { body: "recovered" };
          },
        },
      },
    });
    const client = t.connect();
    const ws = await client;
    ws.send("first");
    const frame = JSON.parse(await client.nextMessage());
    const event = t.recorder.of("$default")[0]!;
    expect(frame).toEqual({
      message: "Internal server error",
      connectionId: event.requestContext.connectionId,
      requestId: event.requestContext.requestId,
    });
    expect(t.logs.text()).toContain("dynamo down");
    ws.send("second");
    expect(await client.nextMessage()).toBe("recovered");
    expect(t.gateway.connections()).toHaveLength(1);
  });

  it("answers the internal-error frame on routes without a route response too", async () => {
    const t = await start({
      routes: {
        $default: {
          routeResponse: false,
          handler: () => {
            throw new Error("boom");
          },
        },
      },
    });
    const client = t.connect();
    const ws = await client;
    ws.send("x");
    expect(JSON.parse(await client.nextMessage())).toMatchObject({ message: "Internal server error" });
  });

  it("updates lastActiveAt on client messages", async () => {
    const t = await start({ routes: { $default: echoRoute("default") } });
    const client = t.connect();
    const ws = await client;
    const connectedAt = t.time.now();
    t.time.advance(5_000);
    ws.send("tick");
    await client.nextMessage();
    expect(t.gateway.connections()[0]).toMatchObject({ connectedAt, lastActiveAt: connectedAt + 5_000 });
  });
});

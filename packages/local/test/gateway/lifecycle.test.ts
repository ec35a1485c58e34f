import { WebSocket } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "./harness";

let current: TestGateway | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});
const start = async (options: Parameters<typeof startTestGateway>[0]) => (current = await startTestGateway(options));

describe("$disconnect", () => {
  it("reports the client's close code and reason", async () => {
    const t = await start({ routes: { $connect: {}, $disconnect: {} } });
    const client = t.connect();
    const ws = await client;
    const connectedAt = t.time.now();
    t.time.advance(1_234);
    ws.close(4000, "leaving the stadium");
    const event = await t.recorder.waitFor("$disconnect");
    expect(event.requestContext).toMatchObject({
      routeKey: "$disconnect",
      eventType: "DISCONNECT",
      messageDirection: "IN",
      messageId: null,
      connectionId: t.recorder.of("$connect")[0]!.requestContext.connectionId,
      connectedAt,
      requestTimeEpoch: connectedAt + 1_234,
      disconnectStatusCode: 4000,
      disconnectReason: "leaving the stadium",
      identity: { sourceIp: "127.0.0.1" },
    });
    expect(event).not.toHaveProperty("body");
  });

  it("reports 1005 with AWS's reason when the close frame has no status", async () => {
    const t = await start({ routes: { $disconnect: {} } });
    const ws = await t.connect();
    ws.close();
    const event = await t.recorder.waitFor("$disconnect");
    expect(event.requestContext).toMatchObject({ disconnectStatusCode: 1005, disconnectReason: "Client-side close frame status not set" });
  });

  it("reports 1006 when the client vanishes without a close frame", async () => {
    const t = await start({ routes: { $disconnect: {} } });
    const ws = await t.connect();
    ws.terminate();
    expect((await t.recorder.waitFor("$disconnect")).requestContext.disconnectStatusCode).toBe(1006);
  });

  it("is best-effort: a failing $disconnect is logged and the gateway carries on", async () => {
    const t = await start({
      routes: {
        $disconnect: {
          handler: () => {
            throw new Error("table gone");
          },
        },
        $default: { routeResponse: true, handler: () => "ok" },
      },
    });
    const first = await t.connect();
    first.close(1000);
    await t.recorder.waitFor("$disconnect");
    await expect.poll(() => t.logs.text()).toContain("best-effort");
    expect(t.logs.text()).toContain("table gone");
    const second = t.connect();
    (await second).send("x");
    expect(await second.nextMessage()).toBe("ok");
  });

  it("fires for a client that left while $connect was still running", async () => {
    let release!: () => void;
    const answered = new Promise<void>((resolve) => (release = resolve));
    const t = await start({ routes: { $connect: { handler: () => answered }, $disconnect: {} } });
    const client = t.connect();
    client.catch(() => undefined);
    await t.recorder.waitFor("$connect");
    client.ws.terminate();
    release();
    // Whether the gateway notices before or after the upgrade, $disconnect reports 1006.
    const event = await t.recorder.waitFor("$disconnect");
    expect(event.requestContext.connectionId).toBe(t.recorder.of("$connect")[0]!.requestContext.connectionId);
    expect(event.requestContext.disconnectStatusCode).toBe(1006);
    expect(t.gateway.connections()).toHaveLength(0);
  });
});

describe("stop()", () => {
  it("closes every socket with 1001 Going away, runs $disconnect for each, then frees the port", async () => {
    const t = await startTestGateway({ routes: { $disconnect: {} } });
    const a = t.connect();
    const b = t.connect();
    await Promise.all([a, b]);
    await t.gateway.stop();
    expect(await a.closed).toEqual({ code: 1001, reason: "Going away" });
    expect(await b.closed).toEqual({ code: 1001, reason: "Going away" });
    // stop() resolved only after both $disconnect invocations finished.
    expect(t.recorder.of("$disconnect").map((e) => e.requestContext.disconnectStatusCode)).toEqual([1001, 1001]);
    expect(t.gateway.connections()).toHaveLength(0);
    const refused = new WebSocket(t.gateway.url);
    await expect(new Promise((_resolve, reject) => refused.once("error", reject))).rejects.toThrow(/ECONNREFUSED/);
    await t.stop(); // idempotent
  });

  it("does not wait for a client that never answers the close", async () => {
    const t = await startTestGateway({ routes: {} });
    const client = t.connect();
    const ws = await client;
    // A client whose socket stops reading: it never sends its close frame back.
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await t.gateway.stop();
    expect(t.gateway.connections()).toHaveLength(0);
    await t.stop();
  });
});

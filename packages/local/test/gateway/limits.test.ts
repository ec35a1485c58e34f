import { PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { afterEach, describe, expect, it } from "vitest";
import { createFrameInspector, type FrameViolation } from "../../src/gateway";
import { startTestGateway, type TestGateway } from "./harness";

let current: TestGateway | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});
const start = async (options: Parameters<typeof startTestGateway>[0]) => (current = await startTestGateway(options));

const KB = 1024;
const withDisconnect = {
  $disconnect: {},
  $default: { routeResponse: true, handler: (event: { body?: string }) => `got ${event.body?.length}` },
};

describe("frame and message size limits", () => {
  it("closes a 200 KB message with 1009 and reports it to $disconnect", async () => {
    const t = await start({ routes: withDisconnect });
    const client = t.connect();
    const ws = await client;
    ws.send("x".repeat(200 * KB));
    expect(await client.closed).toEqual({ code: 1009, reason: "Message too big" });
    const event = await t.recorder.waitFor("$disconnect");
    expect(event.requestContext).toMatchObject({
      eventType: "DISCONNECT",
      disconnectStatusCode: 1009,
      disconnectReason: "Message too big",
    });
    expect(t.recorder.of("$default")).toHaveLength(0);
  });

  it("closes a single 40 KB frame with 1009: the 32 KB limit is per frame", async () => {
    const t = await start({ routes: withDisconnect });
    const client = t.connect();
    const ws = await client;
    ws.send("x".repeat(40 * KB));
    expect((await client.closed).code).toBe(1009);
    expect(t.recorder.of("$default")).toHaveLength(0);
  });

  it("delivers a 90 KB message sent as 30 KB fragments", async () => {
    const t = await start({ routes: withDisconnect });
    const client = t.connect();
    const ws = await client;
    for (let i = 0; i < 3; i++) ws.send("x".repeat(30 * KB), { fin: i === 2 });
    expect(await client.nextMessage()).toBe(`got ${90 * KB}`);
  });

  it("closes a fragmented message with 1009 once its fragments pass 128 KB", async () => {
    const t = await start({ routes: withDisconnect });
    const client = t.connect();
    const ws = await client;
    for (let i = 0; i < 5; i++) ws.send("x".repeat(30 * KB), { fin: i === 4 });
    expect((await client.closed).code).toBe(1009);
    expect(t.recorder.of("$default")).toHaveLength(0);
  });

  it("honours configured limits", async () => {
    const t = await start({ routes: withDisconnect, limits: { maxFrameBytes: 10, maxMessageBytes: 20 } });
    const client = t.connect();
    const ws = await client;
    ws.send("0123456789");
    expect(await client.nextMessage()).toBe("got 10");
    ws.send("0123456789a");
    expect((await client.closed).code).toBe(1009);
  });

  it("closes a binary frame with 1003", async () => {
    const t = await start({ routes: withDisconnect });
    const client = t.connect();
    const ws = await client;
    ws.send(Buffer.from([1, 2, 3]));
    expect((await client.closed).code).toBe(1003);
    const event = await t.recorder.waitFor("$disconnect");
    expect(event.requestContext.disconnectStatusCode).toBe(1003);
    expect(t.recorder.of("$default")).toHaveLength(0);
  });
});

describe("frame inspector", () => {
  /** A masked client frame, as browsers send them. */
  const frame = (opcode: number, payloadLength: number, fin = true) => {
    const lengthBytes =
      payloadLength < 126
        ? Buffer.from([0x80 | payloadLength])
        : payloadLength < 65536
          ? Buffer.from([0x80 | 126, payloadLength >> 8, payloadLength & 0xff])
          : Buffer.concat([
              Buffer.from([0x80 | 127]),
              (() => {
                const b = Buffer.alloc(8);
                b.writeBigUInt64BE(BigInt(payloadLength));
                return b;
              })(),
            ]);
    return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode]), lengthBytes, Buffer.alloc(4), Buffer.alloc(payloadLength)]);
  };

  const inspect = (chunks: Buffer[]) => {
    const violations: FrameViolation[] = [];
    const feed = createFrameInspector({ maxFrameBytes: 32 * KB, maxMessageBytes: 128 * KB }, (v) => violations.push(v));
    for (const chunk of chunks) feed(chunk);
    return violations;
  };

  it("reads headers split across chunks, byte by byte", () => {
    const bytes = Buffer.concat([frame(1, 300), frame(1, 40 * KB)]);
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(inspect(chunks)).toEqual([{ code: 1009, reason: "Message too big" }]);
  });

  it("ignores control frames and counts a message across continuation frames", () => {
    expect(inspect([frame(1, 30 * KB, false), frame(9, 4), frame(0, 30 * KB, true)])).toEqual([]);
    expect(
      inspect([frame(1, 32 * KB, false), frame(0, 32 * KB, false), frame(0, 32 * KB, false), frame(0, 32 * KB, false), frame(0, 1, true)]),
    ).toEqual([{ code: 1009, reason: "Message too big" }]);
  });

  it("flags binary at the first binary frame header", () => {
    expect(inspect([frame(2, 3)])).toEqual([{ code: 1003, reason: "Binary frames are not supported" }]);
  });
});

describe("connection time limits", () => {
  it("closes an idle connection with 1001 after the idle timeout, counting from the last client message", async () => {
    const t = await start({ routes: withDisconnect, limits: { idleTimeoutMs: 1_000 } });
    const client = t.connect();
    const ws = await client;
    t.time.advance(999);
    ws.send("ping");
    await client.nextMessage();
    t.time.advance(999);
    expect(t.gateway.connections()).toHaveLength(1);
    t.time.advance(1);
    expect(await client.closed).toEqual({ code: 1001, reason: "Going away" });
    const event = await t.recorder.waitFor("$disconnect");
    expect(event.requestContext).toMatchObject({ disconnectStatusCode: 1001, disconnectReason: "Going away" });
  });

  it("does not count server posts as activity", async () => {
    const t = await start({ routes: withDisconnect, limits: { idleTimeoutMs: 1_000 } });
    const client = t.connect();
    await client;
    t.time.advance(600);
    await t.management.send(new PostToConnectionCommand({ ConnectionId: t.gateway.connections()[0]!.connectionId, Data: "news" }));
    t.time.advance(400);
    expect((await client.closed).code).toBe(1001);
  });

  it("closes any connection with 1001 at the maximum duration, however active", async () => {
    const t = await start({ routes: withDisconnect, limits: { idleTimeoutMs: 1_000, maxConnectionDurationMs: 2_500 } });
    const client = t.connect();
    const ws = await client;
    for (let i = 0; i < 2; i++) {
      t.time.advance(900);
      ws.send("still here");
      await client.nextMessage();
    }
    t.time.advance(699);
    expect(t.gateway.connections()).toHaveLength(1);
    t.time.advance(1);
    expect((await client.closed).code).toBe(1001);
    expect((await t.recorder.waitFor("$disconnect")).requestContext.disconnectStatusCode).toBe(1001);
  });
});

describe("new-connection rate", () => {
  it("refuses connections over the rate with 429 before $connect, and refills over time", async () => {
    const t = await start({ routes: { $connect: {} }, limits: { connectionsPerSecond: 2 } });
    await t.connect();
    await t.connect();
    await expect(t.connect()).rejects.toThrow("Unexpected server response: 429");
    expect(t.recorder.of("$connect")).toHaveLength(2);
    expect(t.logs.text()).toContain("429");
    t.time.advance(500);
    await t.connect();
    await expect(t.connect()).rejects.toThrow("Unexpected server response: 429");
    expect(t.recorder.of("$connect")).toHaveLength(3);
  });

  it("allows a burst above the steady rate when configured", async () => {
    const t = await start({ routes: {}, limits: { connectionsPerSecond: 1, connectionBurst: 3 } });
    for (let i = 0; i < 3; i++) await t.connect();
    await expect(t.connect()).rejects.toThrow("Unexpected server response: 429");
  });

  it("limits per source IP when connectionsPerSecondPerIp is set", async () => {
    const t = await start({ routes: {}, limits: { connectionsPerSecondPerIp: 1 } });
    await t.connect();
    await expect(t.connect()).rejects.toThrow("Unexpected server response: 429");
    t.time.advance(1_000);
    await t.connect();
  });

  it("rejects a nonsensical limit at start with what to do", async () => {
    await expect(startTestGateway({ routes: {}, limits: { idleTimeoutMs: -1 } })).rejects.toThrow(
      /idleTimeoutMs must be a positive number.*fix the limits option/,
    );
  });
});

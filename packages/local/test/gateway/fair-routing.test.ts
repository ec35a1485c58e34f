/**
 * Route invocations through the real gateway and real `ws` clients: one
 * connection's messages are invoked one at a time and in order, and a
 * connection that floods does not hold up another fan's route. The handlers
 * wait a few real milliseconds, as a handler waits for DynamoDB.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_GATEWAY_LIMITS, RouteScheduler, type WebSocketEvent } from "../../src/gateway";
import { startTestGateway, type TestGateway } from "./harness";

let current: TestGateway | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});
const start = async (options: Parameters<typeof startTestGateway>[0]) => (current = await startTestGateway(options));

describe("route invocations", () => {
  it("frames of one connection are invoked in order, each after the previous one ended", async () => {
    const started: number[] = [];
    const ended: number[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const handler = async (event: WebSocketEvent) => {
      const n = Number(event.body);
      started.push(n);
      mostAtOnce = Math.max(mostAtOnce, ++running);
      await sleep((n * 7) % 4); // uneven durations: concurrent invocations would finish out of order
      running -= 1;
      ended.push(n);
      return String(n);
    };
    const t = await start({ routes: { $default: { routeResponse: true, handler } } });
    const client = t.connect();
    const ws = await client;
    for (let n = 0; n < 50; n++) ws.send(String(n));
    const replies = [];
    for (let n = 0; n < 50; n++) replies.push(await client.nextMessage());
    const inOrder = Array.from({ length: 50 }, (_, n) => String(n));
    expect(mostAtOnce).toBe(1);
    expect(started.map(String)).toEqual(inOrder);
    expect(ended.map(String)).toEqual(inOrder);
    expect(replies).toEqual(inOrder);
  });

  it("a connection flooding 2,000 frames does not delay another fan's ping by more than a second", async () => {
    const handler = async (event: WebSocketEvent) => {
      await sleep(50);
      return `done:${event.body}`;
    };
    const t = await start({ routes: { $default: { routeResponse: true, handler } } });
    const flooder = t.connect();
    const floodWs = await flooder;
    const fan = t.connect();
    const fanWs = await fan;
    const tooMany: string[] = [];
    floodWs.on("message", (data) => {
      const text = data.toString();
      if (text.includes("Too Many Requests")) tooMany.push(text);
    });

    for (let i = 0; i < 2_000; i++) floodWs.send(`flood-${i}`);
    // Let the flood reach the gateway first, so the ping arrives behind it.
    await sleep(100);
    const sent = performance.now();
    fanWs.send("ping");
    expect(await fan.nextMessage()).toBe("done:ping");
    const pingMs = performance.now() - sent;
    console.info(`another fan's ping answered in ${pingMs.toFixed(0)} ms behind a 2,000-frame flood`);
    expect(pingMs).toBeLessThan(1_000);

    // Past its queue the flooder is told, in API Gateway's error-frame shape, and keeps its connection.
    const queued = DEFAULT_GATEWAY_LIMITS.maxQueuedMessagesPerConnection;
    expect(tooMany.length).toBeGreaterThanOrEqual(2_000 - queued - 100);
    expect(JSON.parse(tooMany[0]!)).toEqual({
      message: "Too Many Requests",
      connectionId: expect.any(String),
      requestId: expect.any(String),
    });
    expect(floodWs.readyState).toBe(floodWs.OPEN);
    let reply = await flooder.nextMessage();
    while (reply.includes("Too Many Requests")) reply = await flooder.nextMessage();
    expect(reply).toBe("done:flood-0");
  });
});

describe("RouteScheduler", () => {
  it("takes lanes in turn (round-robin), one task per lane at a time, at most maxConcurrent at once", async () => {
    const order: string[] = [];
    const scheduler = new RouteScheduler({ maxConcurrent: 1, maxQueuedPerLane: 10, onTaskError: () => {} });
    const task = (name: string) => async () => {
      order.push(name);
      await sleep(1);
    };
    scheduler.submit("a", task("a1"));
    scheduler.submit("a", task("a2"));
    scheduler.submit("a", task("a3"));
    scheduler.submit("b", task("b1"));
    scheduler.submit("b", task("b2"));
    scheduler.submit("c", task("c1"));
    while (order.length < 6 || scheduler.active > 0) await sleep(2);
    expect(order).toEqual(["a1", "b1", "c1", "a2", "b2", "a3"]);
  });

  it("refuses a task past a lane's queue bound; other lanes are unaffected; a dropped lane's waiting tasks never run", async () => {
    const ran: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const scheduler = new RouteScheduler({ maxConcurrent: 1, maxQueuedPerLane: 2, onTaskError: () => {} });
    expect(scheduler.submit("a", async () => void (await gate, ran.push("a1")))).toBe(true); // running
    expect(scheduler.submit("a", async () => void ran.push("a2"))).toBe(true);
    expect(scheduler.submit("a", async () => void ran.push("a3"))).toBe(true);
    expect(scheduler.submit("a", async () => void ran.push("a4"))).toBe(false);
    expect(scheduler.submit("b", async () => void ran.push("b1"))).toBe(true);
    scheduler.drop("a");
    release();
    while (ran.length < 2 || scheduler.active > 0) await sleep(2);
    expect(ran).toEqual(["a1", "b1"]);
  });
});

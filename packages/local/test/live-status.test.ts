/**
 * npm start's live status (issue 14): rates from the local cloud's counters
 * over an injected clock, the line it prints, and GET /status on loopback.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { LocalCounters } from "../src/cloud";
import { createStatusTracker, startStatusServer, statusLine, type StatusServer } from "../src/live-status";

const start = Date.parse("2026-11-29T12:00:00.000Z");

function setup() {
  const clock = { value: start, now: () => clock.value };
  const counters: LocalCounters = { connections: 0, publications: 0, deliveries: 0, queueInvocations: 0 };
  return { clock, counters, tracker: createStatusTracker(() => ({ ...counters }), clock) };
}

describe("the live status", () => {
  it("turns counters into per-second rates since the previous sample", () => {
    const { clock, counters, tracker } = setup();
    Object.assign(counters, { connections: 3, publications: 10, deliveries: 30 });
    clock.value += 5_000;
    expect(tracker.sample()).toMatchObject({ connections: 3, publicationsPerSecond: 2, deliveriesPerSecond: 6, canary: null });
    clock.value += 5_000;
    expect(tracker.sample()).toMatchObject({ publicationsPerSecond: 0, deliveriesPerSecond: 0 });
  });

  it("counts a counter that went down (a restarted gateway) from zero, never as a negative rate", () => {
    const { clock, counters, tracker } = setup();
    counters.deliveries = 100;
    clock.value += 1_000;
    tracker.sample();
    counters.deliveries = 4;
    clock.value += 2_000;
    expect(tracker.sample().deliveriesPerSecond).toBe(2);
  });

  it("keeps the last canary run and prints one line", () => {
    const { clock, tracker } = setup();
    expect(statusLine(tracker.sample())).toBe("12:00:00  0 connections  0 publications/s  0 deliveries/s  canary: not run yet");
    tracker.recordCanary({ ok: true, topic: "game/_canary", seq: 4, latencyMs: 87, snapshotMs: 95 });
    clock.value += 5_000;
    expect(statusLine(tracker.sample())).toBe("12:00:05  0 connections  0 publications/s  0 deliveries/s  canary 87 ms");
    tracker.recordCanary({ ok: false, topic: "game/_canary", step: "receive", reason: "timed out", elapsedMs: 10_000 });
    expect(tracker.current().canary).toMatchObject({ ok: false, step: "receive", reason: "timed out" });
    expect(statusLine(tracker.current())).toMatch(/canary FAILED at receive$/);
  });
});

describe("GET /status", () => {
  let server: StatusServer | undefined;
  afterEach(async () => {
    await server?.stop();
  });

  it("serves the same numbers as JSON on 127.0.0.1, and 404 with a hint elsewhere", async () => {
    const { counters, clock, tracker } = setup();
    counters.connections = 2;
    clock.value += 1_000;
    tracker.sample();
    server = await startStatusServer({ port: 0, status: () => tracker.current() });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/status$/);
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(tracker.current());
    const other = await fetch(server.url.replace("/status", "/nope"));
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { message: string } }).error.message).toContain("GET /status");
  });
});

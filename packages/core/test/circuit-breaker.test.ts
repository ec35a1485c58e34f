/**
 * The circuit breaker on an injected clock and sleep, around a fake downstream
 * whose calls stay in flight until released (so concurrency is counted, not timed).
 */
import { describe, expect, it } from "vitest";
import { CircuitBreaker, CircuitOpenError, type CircuitBreakerOptions } from "../src/circuit-breaker";
import { GatewayUnavailableError, isGatewayUnavailable } from "../src/errors";

function harness(overrides: Partial<CircuitBreakerOptions> = {}) {
  let now = 1_000_000;
  const slept: number[] = [];
  const transitions: string[] = [];
  const breaker = new CircuitBreaker({
    failureRateThreshold: 0.5,
    minimumVolume: 4,
    windowMs: 10_000,
    sleepWindowMs: 5_000,
    maxConcurrent: 3,
    maxWaitMs: 0,
    clock: { now: () => now },
    // Sleeping moves the fake clock: the breaker's waits take no real time.
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    isFailure: isGatewayUnavailable,
    onStateChange: (to) => transitions.push(to),
    ...overrides,
  });
  let downstreamCalls = 0;
  const ok = () => breaker.run(async () => void downstreamCalls++);
  const sick = () =>
    breaker.run(async () => {
      downstreamCalls++;
      throw new GatewayUnavailableError("429", 429);
    });
  return { breaker, ok, sick, slept, transitions, advance: (ms: number) => (now += ms), calls: () => downstreamCalls };
}

describe("CircuitBreaker", () => {
  it("stays closed below the minimum volume, whatever the failure rate", async () => {
    const h = harness();
    for (let i = 0; i < 3; i++) await expect(h.sick()).rejects.toBeInstanceOf(GatewayUnavailableError);
    expect(h.breaker.currentState).toBe("closed");
  });

  it("opens at the failure-rate threshold once the volume is reached, then calls nothing during the sleep window", async () => {
    const h = harness();
    await h.ok();
    await h.ok();
    await expect(h.sick()).rejects.toThrow();
    expect(h.breaker.currentState).toBe("closed"); // 1 of 3: below volume
    await expect(h.sick()).rejects.toThrow(); // 2 of 4 = 50%
    expect(h.breaker.currentState).toBe("open");
    const before = h.calls();
    for (let i = 0; i < 10; i++) await expect(h.ok()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(h.calls()).toBe(before); // not hammered
    expect(h.transitions).toEqual(["open"]);
  });

  it("a failure that is not the downstream's (a 403, a 410) does not count", async () => {
    const h = harness();
    for (let i = 0; i < 8; i++)
      await expect(
        h.breaker.run(async () => {
          throw new Error("ForbiddenException");
        }),
      ).rejects.toThrow();
    expect(h.breaker.currentState).toBe("closed");
  });

  it("after the sleep window one probe goes through: success closes, failure re-opens", async () => {
    const h = harness();
    for (let i = 0; i < 4; i++) await expect(h.sick()).rejects.toThrow();
    h.advance(5_000);
    expect(h.breaker.currentState).toBe("half-open");
    await expect(h.sick()).rejects.toBeInstanceOf(GatewayUnavailableError); // the probe
    expect(h.breaker.currentState).toBe("open");
    h.advance(5_000);
    await h.ok();
    expect(h.breaker.currentState).toBe("closed");
    expect(h.transitions).toEqual(["open", "half-open", "open", "half-open", "closed"]);
  });

  it("a caller whose deadline allows it waits out the sleep window instead of failing (and without calling)", async () => {
    const h = harness({ maxWaitMs: 20_000 });
    for (let i = 0; i < 4; i++) await expect(h.sick()).rejects.toThrow();
    const before = h.calls();
    await h.ok();
    expect(h.slept).toEqual([5_000]);
    expect(h.calls()).toBe(before + 1);
    expect(h.breaker.currentState).toBe("closed");
  });

  it("a caller whose deadline is shorter than the sleep window is rejected at once", async () => {
    const h = harness({ maxWaitMs: 1_000 });
    for (let i = 0; i < 4; i++) await expect(h.sick()).rejects.toThrow();
    await expect(h.ok()).rejects.toMatchObject({ name: "CircuitOpenError", retryAfterMs: 5_000 });
    expect(h.slept).toEqual([]);
  });

  it("the failure window is tumbling: old failures stop counting", async () => {
    const h = harness();
    for (let i = 0; i < 3; i++) await expect(h.sick()).rejects.toThrow();
    h.advance(10_000);
    await h.ok();
    await expect(h.sick()).rejects.toThrow();
    await h.ok();
    await h.ok();
    expect(h.breaker.currentState).toBe("closed"); // 1 of 4 in the new window
  });

  it("never has more than maxConcurrent calls in flight; the rest queue and all complete", async () => {
    const h = harness({ maxConcurrent: 3 });
    let inFlight = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const calls = Array.from({ length: 10 }, () =>
      h.breaker.run(async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise<void>((resolve) => releases.push(resolve));
        inFlight--;
      }),
    );
    let done = 0;
    calls.forEach((call) => void call.then(() => done++));
    while (done < 10) {
      await new Promise((resolve) => setImmediate(resolve));
      expect(h.breaker.concurrency).toBeLessThanOrEqual(3);
      for (const release of releases.splice(0)) release();
    }
    expect(peak).toBe(3);
    expect(h.breaker.concurrency).toBe(0);
  });
});

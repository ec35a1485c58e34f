import { describe, expect, it } from "vitest";
import { GatewayUnavailableError } from "../src/errors";
import type { Gateway } from "../src/ports";
import { PacedGateway } from "../src/push-budget";

/** A clock that only moves when the gateway sleeps: pacing is counted, not timed. */
function virtualTime() {
  const time = { ms: 1_000 };
  return { time, clock: { now: () => time.ms }, sleep: async (ms: number) => void (time.ms += ms) };
}

const ok: Gateway = { post: async () => "ok", delete: async () => {} };

describe("the push budget", () => {
  it("paces a worker to its rate: 100 posts at 50/s take 2 s less one slot", async () => {
    const { time, clock, sleep } = virtualTime();
    const paced = new PacedGateway(ok, { ratePerSecond: 50, clock, sleep });
    for (let i = 0; i < 100; i++) await paced.post(`c${i}`, "{}");
    expect(time.ms - 1_000).toBeCloseTo(99 * 20, 6);
  });

  it("concurrent posts of one worker share its slots", async () => {
    const { time, clock, sleep } = virtualTime();
    const paced = new PacedGateway(ok, { ratePerSecond: 100, clock, sleep });
    await Promise.all(Array.from({ length: 10 }, (_, i) => paced.post(`c${i}`, "{}")));
    // The last of ten got the slot 90 ms after the first.
    expect(time.ms - 1_000).toBeCloseTo(90, 6);
  });

  it("halves its rate on a 429 that outlasted the client's retries, and wins it back with successes", async () => {
    const { clock, sleep } = virtualTime();
    let throttled = true;
    const gateway: Gateway = {
      post: async () => {
        if (throttled) throw new GatewayUnavailableError("Management API 429 (LimitExceededException)", 429);
        return "ok";
      },
      delete: async () => {},
    };
    const paced = new PacedGateway(gateway, { ratePerSecond: 1_000, clock, sleep });
    await expect(paced.post("c", "{}")).rejects.toThrow(GatewayUnavailableError);
    await expect(paced.post("c", "{}")).rejects.toThrow(GatewayUnavailableError);
    expect(paced.currentRate).toBe(250);
    throttled = false;
    for (let i = 0; i < 100; i++) await paced.post("c", "{}");
    expect(paced.currentRate).toBe(1_000);
  });

  it("does not slow for a 5xx or a slow reader (an outcome, not a throw)", async () => {
    const { clock, sleep } = virtualTime();
    const failing: Gateway = {
      post: async () => {
        throw new GatewayUnavailableError("Management API 503", 503);
      },
      delete: async () => {},
    };
    const paced = new PacedGateway(failing, { ratePerSecond: 1_000, clock, sleep });
    await expect(paced.post("c", "{}")).rejects.toThrow();
    expect(paced.currentRate).toBe(1_000);
    const full = new PacedGateway({ post: async () => "full", delete: async () => {} }, { ratePerSecond: 1_000, clock, sleep });
    expect(await full.post("c", "{}")).toBe("full");
    expect(full.currentRate).toBe(1_000);
  });
});

/**
 * The breaker around the Management API reports each opening as the
 * BreakerOpens metric (issue 14's dashboard), not only as a log line.
 */
import { describe, expect, it } from "vitest";
import { GatewayUnavailableError } from "../src/errors";
import { GuardedGateway } from "../src/guarded-gateway";

describe("GuardedGateway", () => {
  it("counts BreakerOpens once when the circuit opens", async () => {
    const counted: [string, number][] = [];
    const failing = {
      post: async () => Promise.reject(new GatewayUnavailableError("503 from the Management API", 503)),
      delete: async () => {},
    };
    const gateway = new GuardedGateway(
      failing,
      {
        failureRateThreshold: 0.5,
        minimumVolume: 2,
        windowMs: 60_000,
        sleepWindowMs: 60_000,
        maxConcurrent: 4,
        maxWaitMs: 0,
        clock: { now: () => 0 },
        sleep: async () => {},
      },
      { warn: () => {}, error: () => {} },
      { count: (name, value) => void counted.push([name, value]) },
    );
    for (let call = 0; call < 5; call++) await gateway.post("c1", "{}").catch(() => {});
    expect(counted).toEqual([["BreakerOpens", 1]]);
  });
});

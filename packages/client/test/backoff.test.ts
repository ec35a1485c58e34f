import { describe, expect, it } from "vitest";
import { backoffCeiling, fullJitterDelay, RECONNECT_BACKOFF } from "../src/backoff";
import { seededRandom } from "./support/manualClock";

describe("full-jitter backoff", () => {
  it("doubles the ceiling from 0.5 s per attempt and caps it at 20 s", () => {
    const ceilings = Array.from({ length: 10 }, (_, attempt) => backoffCeiling(RECONNECT_BACKOFF, attempt));
    expect(ceilings).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 20_000, 20_000, 20_000, 20_000]);
    // A huge attempt count overflows 2^n to Infinity; the cap must still hold.
    expect(backoffCeiling(RECONNECT_BACKOFF, 5_000)).toBe(20_000);
  });

  it("keeps every delay within [0, min(cap, base * 2^attempt)) and spreads it out", () => {
    const random = seededRandom(1);
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(20_000, 500 * 2 ** attempt);
      const delays = Array.from({ length: 500 }, () => fullJitterDelay(RECONNECT_BACKOFF, attempt, random));
      for (const delay of delays) {
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
      // Jitter, not a constant: many distinct values, covering both halves of the range.
      expect(new Set(delays).size).toBeGreaterThan(100);
      expect(Math.min(...delays)).toBeLessThan(ceiling * 0.1);
      expect(Math.max(...delays)).toBeGreaterThan(ceiling * 0.9);
      const mean = delays.reduce((sum, d) => sum + d, 0) / delays.length;
      expect(mean).toBeGreaterThan(ceiling * 0.4);
      expect(mean).toBeLessThan(ceiling * 0.6);
    }
  });

  it("is exactly random() times the ceiling, so the extremes are 0 and just under the ceiling", () => {
    expect(fullJitterDelay(RECONNECT_BACKOFF, 3, () => 0)).toBe(0);
    expect(fullJitterDelay(RECONNECT_BACKOFF, 3, () => 0.999_999)).toBe(3_999);
    expect(fullJitterDelay(RECONNECT_BACKOFF, 3, () => 0.5)).toBe(2_000);
  });
});

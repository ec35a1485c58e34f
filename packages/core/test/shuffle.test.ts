/**
 * The opening draw is unbiased: each order of a small pre-queue comes up
 * equally often (chi-square with a fixed bound), and the same test catches the
 * classic biased shuffle, so it can fail.
 */
import { randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import { shuffled, type RandomIndex } from "../src/waiting-room/shuffle";

const DRAWS = 60_000;

/** Chi-square statistic of how often each of the 6 orders of [a, b, c] comes up. */
function chiSquareOfOrders(shuffle: (items: string[]) => string[]): number {
  const counts = new Map<string, number>();
  for (let i = 0; i < DRAWS; i++) {
    const order = shuffle(["a", "b", "c"]).join("");
    counts.set(order, (counts.get(order) ?? 0) + 1);
  }
  expect(counts.size).toBe(6);
  const expected = DRAWS / 6;
  return [...counts.values()].reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
}

/** Swapping each position with any position (not only the ones not yet placed): 27 paths onto 6 orders. */
function naiveShuffle(items: string[], randomIndex: RandomIndex): string[] {
  const out = [...items];
  for (let i = 0; i < out.length; i++) {
    const j = randomIndex(out.length);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// 5 degrees of freedom: P(chi-square > 30) is about 1.5e-5, so a fair draw fails
// this about once in 70,000 runs; the naive shuffle's bias (orders at 4/27 and
// 5/27 instead of 1/6) gives a statistic in the hundreds at 60,000 draws.
const BOUND = 30;

describe("the opening draw", () => {
  it("gives every order of three fans the same chance", () => {
    expect(chiSquareOfOrders((items) => shuffled(items))).toBeLessThan(BOUND);
  });

  it("the same test rejects the classic biased shuffle", () => {
    expect(chiSquareOfOrders((items) => naiveShuffle(items, (max) => randomInt(max)))).toBeGreaterThan(BOUND);
  });

  it("keeps every item exactly once", () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    expect([...shuffled(items)].sort((a, b) => a - b)).toEqual(items);
  });
});

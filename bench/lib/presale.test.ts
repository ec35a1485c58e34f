import { describe, expect, it } from "vitest";
import { auditTickets, projectedEnd } from "./presale";
import { parseStat } from "./process-cpu";

describe("auditTickets", () => {
  it("accepts a permutation of 1..n in any order", () => {
    expect(auditTickets([3, 1, 4, 2])).toMatchObject({
      fans: 4,
      permutation: true,
      duplicateCount: 0,
      gapCount: 0,
      withoutTicket: 0,
      outOfRange: [],
    });
  });

  it("names a duplicate and the gap it leaves", () => {
    expect(auditTickets([1, 2, 2, 4])).toMatchObject({ permutation: false, duplicates: [2], duplicateCount: 1, gaps: [3], gapCount: 1 });
  });

  it("counts fans without a ticket and tickets past the end", () => {
    expect(auditTickets([1, null, 7])).toMatchObject({ permutation: false, withoutTicket: 1, outOfRange: [7], gaps: [2, 3], gapCount: 2 });
  });

  it("lists at most 20 offending tickets but counts them all", () => {
    const audit = auditTickets(Array.from({ length: 100 }, () => 1));
    expect(audit.duplicates).toEqual([1]);
    expect(audit.gaps).toHaveLength(20);
    expect(audit.gapCount).toBe(99);
  });

  it("an empty audience is a (trivial) permutation", () => {
    expect(auditTickets([]).permutation).toBe(true);
  });
});

describe("projectedEnd", () => {
  it("extrapolates the rate measured so far", () => {
    // 100 joins in 2 s: 50/s, so the remaining 400 take 8 s more.
    expect(projectedEnd(100, 500, 1_000, 3_000)).toBe(11_000);
  });

  it("is now once every join is done, and unknown before the first", () => {
    expect(projectedEnd(500, 500, 1_000, 3_000)).toBe(3_000);
    expect(projectedEnd(0, 500, 1_000, 3_000)).toBeUndefined();
  });
});

describe("parseStat", () => {
  it("reads the parent pid and utime + stime past a command name with spaces and parentheses", () => {
    const line = "4242 (java (Dynamo) x) S 4000 4242 4000 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 30 0 123 0 0";
    expect(parseStat(line)).toEqual({ ppid: 4000, cpuSeconds: 3.25 });
  });
});

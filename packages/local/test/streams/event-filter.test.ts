import { describe, expect, it } from "vitest";
import { matchesAnyPattern, validateFilterPatterns } from "../../src/streams/index";

const record = {
  eventName: "MODIFY",
  dynamodb: {
    ApproximateCreationDateTime: 1_790_000_000,
    SizeBytes: 120,
    Keys: { id: { S: "job-42" } },
    NewImage: { id: { S: "job-42" }, status: { S: "Ready" }, seq: { N: "7" }, tags: { SS: ["a", "b"] } },
  },
};

describe("Lambda filter patterns", () => {
  it.each([
    ["exact value in a list", { eventName: ["INSERT", "MODIFY"] }, true],
    ["exact value missing from the list", { eventName: ["INSERT"] }, false],
    ["nested exact value", { dynamodb: { NewImage: { status: { S: ["Ready"] } } } }, true],
    ["exact match is case-sensitive", { dynamodb: { NewImage: { status: { S: ["ready"] } } } }, false],
    ["equals-ignore-case", { dynamodb: { NewImage: { status: { S: [{ "equals-ignore-case": "ready" }] } } } }, true],
    ["prefix", { dynamodb: { Keys: { id: { S: [{ prefix: "job-" }] } } } }, true],
    ["prefix not matching", { dynamodb: { Keys: { id: { S: [{ prefix: "game-" }] } } } }, false],
    ["suffix", { dynamodb: { Keys: { id: { S: [{ suffix: "-42" }] } } } }, true],
    ["exists true", { dynamodb: { NewImage: { seq: [{ exists: true }] } } }, true],
    ["exists true on a missing field", { dynamodb: { OldImage: [{ exists: true }] } }, false],
    ["exists false on a missing field", { dynamodb: { OldImage: [{ exists: false }] } }, true],
    ["exists false on a present field", { dynamodb: { NewImage: [{ exists: false }] } }, false],
    ["anything-but a list", { eventName: [{ "anything-but": ["REMOVE", "INSERT"] }] }, true],
    ["anything-but the value", { eventName: [{ "anything-but": "MODIFY" }] }, false],
    ["anything-but a prefix", { dynamodb: { Keys: { id: { S: [{ "anything-but": { prefix: "job-" } }] } } } }, false],
    ["numeric range on a JSON number", { dynamodb: { SizeBytes: [{ numeric: [">", 100, "<=", 120] }] } }, true],
    ["numeric range not met", { dynamodb: { SizeBytes: [{ numeric: [">=", 121] }] } }, false],
    ["numeric does not apply to an N string (as on AWS)", { dynamodb: { NewImage: { seq: { N: [{ numeric: [">", 1] }] } } } }, false],
    ["a list value matches if any element does", { dynamodb: { NewImage: { tags: { SS: ["b"] } } } }, true],
    ["every key of a pattern must match", { eventName: ["MODIFY"], dynamodb: { NewImage: { status: { S: ["Gone"] } } } }, false],
  ])("%s", (_name, pattern, expected) => {
    expect(matchesAnyPattern(record, [pattern])).toBe(expected);
  });

  it("matches when any one of several patterns matches, and everything when there are none", () => {
    expect(matchesAnyPattern(record, [{ eventName: ["INSERT"] }, { eventName: ["MODIFY"] }])).toBe(true);
    expect(matchesAnyPattern(record, [{ eventName: ["INSERT"] }, { eventName: ["REMOVE"] }])).toBe(false);
    expect(matchesAnyPattern(record, undefined)).toBe(true);
    expect(matchesAnyPattern(record, [])).toBe(true);
  });

  it("rejects malformed patterns at start, naming the consumer and the place", () => {
    expect(() => validateFilterPatterns([{ eventName: "INSERT" }], "consumer jobWorker")).toThrow(
      /consumer jobWorker at filters\[0\]\.eventName: leaves must be arrays/,
    );
    expect(() => validateFilterPatterns([{ eventName: [{ wildcard: "*" }] }], "consumer x")).toThrow(/not a supported matcher/);
    expect(() =>
      validateFilterPatterns([{ eventName: ["INSERT"], dynamodb: { Keys: { id: { S: [{ prefix: "a" }] } } } }], "consumer x"),
    ).not.toThrow();
  });
});

import { describe, expect, it } from "vitest";
import { PushgateError } from "../src/errors";
import { authorizeTopic, CANARY_FAN_ID, CANARY_TOPIC, parseTopic, requireId } from "../src/topics";

const codeOf = async (run: () => unknown) => {
  try {
    await run();
  } catch (error) {
    return error instanceof PushgateError ? error.code : `not a PushgateError: ${String(error)}`;
  }
  return "no error";
};

describe("topic grammar", () => {
  it.each([
    ["game/g1", "game", "g1", "score-update"],
    ["queue/e_7-B", "queue", "e_7-B", "queue-position"],
    [`job/${"a".repeat(64)}`, "job", "a".repeat(64), "result-ready"],
    ["games/all", "games", "all", "game-list"],
  ])("%s is a %s topic", (name, type, id, kind) => {
    expect(parseTopic(name)).toEqual({ name, type, id, kind });
  });

  it.each(["game/", "game", "games/g1", "game/g 1", "game/g1/x", "Game/g1", `job/${"a".repeat(65)}`, "queue/é", "", "/g1"])(
    "%j is INVALID_TOPIC",
    async (name) => {
      expect(await codeOf(() => parseTopic(name))).toBe("INVALID_TOPIC");
    },
  );

  it("the error says what the grammar is", () => {
    expect(() => parseTopic("news/1")).toThrow(/use game\/\{id\}, queue\/\{id\} or job\/\{id\}/);
  });

  it("path ids follow the same grammar", async () => {
    expect(requireId("gameId", "g1")).toBe("g1");
    expect(await codeOf(() => requireId("gameId", "g/1"))).toBe("BAD_REQUEST");
    expect(await codeOf(() => requireId("gameId", undefined))).toBe("BAD_REQUEST");
  });
});

describe("topic authorization", () => {
  const owners = { jobOwner: async (jobId: string) => (jobId === "j1" ? "fan-a" : undefined) };

  it("games and queues are open to every fan", async () => {
    await expect(authorizeTopic(parseTopic("game/g1"), "fan-b", owners)).resolves.toBeUndefined();
    await expect(authorizeTopic(parseTopic("queue/e1"), "fan-b", owners)).resolves.toBeUndefined();
  });

  it("a job is open to its owner only; an unknown job is refused the same way", async () => {
    await expect(authorizeTopic(parseTopic("job/j1"), "fan-a", owners)).resolves.toBeUndefined();
    expect(await codeOf(() => authorizeTopic(parseTopic("job/j1"), "fan-b", owners))).toBe("FORBIDDEN");
    expect(await codeOf(() => authorizeTopic(parseTopic("job/nope"), "fan-b", owners))).toBe("FORBIDDEN");
  });

  it("the canary's topic is the canary's alone: no fan may follow it", async () => {
    expect(CANARY_TOPIC).toBe("game/_canary");
    expect(await codeOf(() => authorizeTopic(parseTopic("game/_canary"), "fan-b", owners))).toBe("FORBIDDEN");
    await expect(authorizeTopic(parseTopic("game/_canary"), CANARY_FAN_ID, owners)).resolves.toBeUndefined();
  });
});

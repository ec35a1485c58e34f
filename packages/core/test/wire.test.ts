/**
 * The wire module is the one place the protocol's constants are spelled, and
 * it imports nothing, so the browser client can use it without zod.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseClientFrame } from "../src/protocol";
import { approximateWatching } from "../src/occupancy";
import {
  formatWatching,
  GAME_LIST_TOPIC,
  isMessageFrame,
  KIND_OF_TOPIC_TYPE,
  MESSAGE_KINDS,
  readServerFrame,
  secondsLeftAt,
  SUBPROTOCOL,
  WATCHING_EXACT_BELOW,
} from "../src/wire";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const wirePath = "packages/core/src/wire.ts";

/** Every non-test source file of the packages, the stacks and the benchmarks. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name === "test" || name === "e2e" || name.startsWith(".")) return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [relative(root, path)] : [];
  });
}

describe("the wire module", () => {
  const files = ["packages", "stacks", "bench"].flatMap((dir) => sourceFiles(join(root, dir)));

  it.each([
    ["the subprotocol", /["']pushgate\.v1["']/],
    ["the token subprotocol prefix", /["']token\.["']/],
    ["the policy-violation prefix", /["'`]policy violation \(1008\)/],
    ["the topic cap", /MAX_TOPICS_PER_REQUEST\s*=/],
  ])("is the only source file that defines %s", (_what, pattern) => {
    const defining = files.filter((file) => pattern.test(readFileSync(join(root, file), "utf8")));
    expect(defining).toEqual([wirePath]);
  });

  it("imports nothing, so importing a constant pulls in no schema library", () => {
    const text = readFileSync(join(root, wirePath), "utf8");
    expect(text).not.toMatch(/^\s*import\s/m);
    expect(text).not.toMatch(/\brequire\(/);
  });

  it("gives every topic family the kind the server publishes on it", () => {
    expect(Object.values(KIND_OF_TOPIC_TYPE).sort()).toEqual([...MESSAGE_KINDS].sort());
    expect(SUBPROTOCOL).toMatch(/^pushgate\.v\d+$/);
  });

  it("reads what the server sends and refuses what a client cannot apply", () => {
    const message = {
      type: "message",
      topic: "game/g1",
      seq: 3,
      kind: "score-update",
      data: { home: 1, away: 0 },
      ts: "2026-11-22T12:00:00.000Z",
    };
    expect(readServerFrame(JSON.stringify(message))).toEqual({ ok: true, frame: message });
    expect(isMessageFrame({ ...message, seq: -1 })).toBe(false);
    expect(readServerFrame("[1]")).toEqual({ ok: false, why: "not a JSON object" });
    expect(readServerFrame(JSON.stringify({ type: "subscribed", id: "r1", topics: [{ topic: "game/g1" }] }))).toMatchObject({ ok: false });
    expect(readServerFrame(JSON.stringify({ type: "surprise" }))).toEqual({ ok: false, why: 'unknown type "surprise"' });
  });

  it("reads a subscribed ack with per-topic refusals, and refuses a malformed refused list", () => {
    const ack = {
      type: "subscribed",
      id: "r1",
      topics: [{ topic: "game/g1", seq: 0, snapshotUrl: "https://s3/x" }],
      refused: [{ topic: "job/j1", code: "FORBIDDEN", message: "not your job" }],
    };
    expect(readServerFrame(JSON.stringify(ack))).toEqual({ ok: true, frame: ack });
    expect(readServerFrame(JSON.stringify({ ...ack, topics: [] }))).toMatchObject({ ok: true });
    expect(readServerFrame(JSON.stringify({ ...ack, refused: [{ topic: "job/j1" }] }))).toMatchObject({
      ok: false,
      why: expect.stringMatching(/refused/),
    });
    expect(readServerFrame(JSON.stringify({ ...ack, refused: "job/j1" }))).toMatchObject({ ok: false });
  });

  it("and the server's strict parser agree on the client frames", () => {
    expect(parseClientFrame(JSON.stringify({ action: "ping", id: "p1" }))).toEqual({ ok: true, frame: { action: "ping", id: "p1" } });
    expect(parseClientFrame(JSON.stringify({ action: "jump", id: "p1" }))).toMatchObject({
      ok: false,
      error: { code: "UNKNOWN_ACTION", id: "p1" },
    });
  });
});

describe("games on the wire (PUT /games/{gameId})", () => {
  it("a game-list message on games/all and a score-update carrying a description are readable frames", () => {
    const list = {
      type: "message",
      topic: GAME_LIST_TOPIC,
      seq: 3,
      kind: "game-list",
      data: { games: [] },
      ts: "2026-06-21T18:00:00.000Z",
    };
    expect(readServerFrame(JSON.stringify(list))).toEqual({ ok: true, frame: list });
    expect(KIND_OF_TOPIC_TYPE.games).toBe("game-list");
  });

  it("a running clock counts down from when the server set it and stops at 0; a stopped one holds", () => {
    const clock = { period: "Q2", secondsLeft: 90, running: true, setAt: "2026-06-21T18:00:00.000Z" };
    const at = (iso: string) => Date.parse(iso);
    expect(secondsLeftAt(clock, at("2026-06-21T18:00:00.999Z"))).toBe(90);
    expect(secondsLeftAt(clock, at("2026-06-21T18:01:00.000Z"))).toBe(30);
    expect(secondsLeftAt(clock, at("2026-06-21T18:05:00.000Z"))).toBe(0);
    // A page clock a little behind the server's never shows more than was set.
    expect(secondsLeftAt(clock, at("2026-06-21T17:59:58.000Z"))).toBe(90);
    expect(secondsLeftAt({ ...clock, running: false }, at("2026-06-21T18:05:00.000Z"))).toBe(90);
  });
});

describe("watching on the wire (occupancy, added compatibly to v1)", () => {
  it("a score-update with or without watching is a readable frame", () => {
    const update = (data: Record<string, unknown>) =>
      JSON.stringify({ type: "message", topic: "game/g1", seq: 4, kind: "score-update", data, ts: "2026-06-21T18:00:00.000Z" });
    expect(readServerFrame(update({ home: 7, away: 3, watching: 12_000 }))).toMatchObject({ ok: true });
    expect(readServerFrame(update({ home: 7, away: 3 }))).toMatchObject({ ok: true });
  });

  it("says 'About' exactly for the counts the server rounds", () => {
    expect(formatWatching(1)).toBe("1 watching");
    expect(formatWatching(999)).toBe("999 watching");
    expect(formatWatching(12_000)).toBe("About 12,000 watching");
    for (const count of [WATCHING_EXACT_BELOW - 1, WATCHING_EXACT_BELOW, 1_234, 98_765]) {
      const rounded = approximateWatching(count) !== count || count >= WATCHING_EXACT_BELOW;
      expect(formatWatching(approximateWatching(count)).startsWith("About")).toBe(rounded);
    }
  });
});

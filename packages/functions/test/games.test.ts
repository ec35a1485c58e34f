/**
 * Real games through the local cloud: an operator describes a game with
 * `PUT /games/{gameId}` (teams, start, status, a clock the page can run), the
 * game's score-update and snapshot carry it, `games/all` lists it (and stops
 * listing it after DELETE), and every update that changed the score is kept
 * on the game's item for reports, without ever being pushed.
 */
import type { GameSettings, MessageFrame, ServerFrame, SessionResponse } from "@pushgate/core/protocol";
import { startLocalCloud, type LocalCloud } from "@pushgate/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminDocumentClient, callHttpApi, type HttpCallOptions } from "./clients";
import { connectFan, type Fan } from "./fan";
import { GetCommand } from "@aws-sdk/lib-dynamodb";

/** Each function cold-starts in its own sandbox; on a busy shared machine that takes a while. */
const SLOW = 90_000;
let cloud: LocalCloud;
const fans: Fan[] = [];

beforeAll(async () => {
  cloud = await startLocalCloud({ environment: { POWERTOOLS_LOG_LEVEL: "SILENT" } });
});

afterAll(async () => {
  await Promise.all(fans.map((fan) => fan.close()));
  await cloud?.stop();
});

const http = (method: string, path: string, options?: HttpCallOptions) => callHttpApi(cloud, method, path, options);

async function fan(): Promise<Fan> {
  const { token } = (await http("POST", "/session", { body: {} })).body as SessionResponse;
  const connected = await connectFan(cloud.endpoints.websocketUrl, token);
  fans.push(connected);
  return connected;
}

let ids = 0;
const subscribe = (who: Fan, ...topics: string[]) => who.request({ action: "subscribe", id: `r${++ids}`, topics });
const messageOn =
  (topic: string, seq: number) =>
  (frame: ServerFrame): frame is MessageFrame =>
    frame.type === "message" && frame.topic === topic && frame.seq >= seq;

const hawksBears = (overrides: Partial<GameSettings> = {}): GameSettings => ({
  home: { name: "Hawks", shortName: "HAW", colour: "#1f6feb" },
  away: { name: "Bears", shortName: "BEA", colour: "#d1242f" },
  startsAt: "2026-06-21T18:00:00Z",
  status: "live",
  clock: { period: "Q1", secondsLeft: 900, running: true },
  ...overrides,
});

describe("PUT /games/{gameId}", () => {
  it(
    "refuses what it cannot store with a 400 that names the field, and callers without the operator key with 401",
    async () => {
      const refusal = async (body: unknown, path = "/games/v1") => {
        const answer = await http("PUT", path, { body, operator: true });
        expect(answer.status).toBe(400);
        return answer.body.error.message as string;
      };
      expect(await refusal(hawksBears({ status: "paused" as never }))).toMatch(/^status: must be one of scheduled, live, halftime, final/);
      expect(await refusal({ ...hawksBears(), home: { name: "Hawks", shortName: "hawks", colour: "#1f6feb" } })).toMatch(
        /^home\.shortName: must be 2-4 capital letters/,
      );
      expect(await refusal({ ...hawksBears(), away: { name: "Bears", shortName: "BEA", colour: "red" } })).toMatch(
        /^away\.colour: must be #rrggbb/,
      );
      expect(await refusal(hawksBears({ startsAt: "tomorrow" }))).toMatch(/^startsAt: must be an ISO-8601 time/);
      expect(await refusal(hawksBears({ clock: { period: "Q1", secondsLeft: -1, running: true } }))).toMatch(/^clock\.secondsLeft/);
      expect(await refusal({ ...hawksBears(), colour: "#000000" })).toMatch(/send e\.g\. \{"home"/);
      expect(await refusal(hawksBears(), "/games/_list")).toMatch(/reserved for the list of games/);
      expect((await http("PUT", "/games/v1", { body: hawksBears() })).status).toBe(401);
      expect((await http("DELETE", "/games/v1")).status).toBe(401);
    },
    SLOW,
  );

  it(
    "the game's score-update and snapshot carry its teams, status and clock; games/all lists it until DELETE",
    async () => {
      const alice = await fan();
      const ack = await subscribe(alice, "games/all", "game/desc-g1");
      expect(ack).toMatchObject({ type: "subscribed", topics: [{ topic: "games/all" }, { topic: "game/desc-g1" }] });
      const listSeq = (ack as { topics: { seq: number }[] }).topics[0]!.seq;

      const put = await http("PUT", "/games/desc-g1", { body: hawksBears(), operator: true });
      expect(put).toEqual({ status: 200, body: { gameId: "desc-g1", topic: "game/desc-g1", seq: 1, listed: true } });

      const described = await alice.next(messageOn("game/desc-g1", 1));
      expect(described.data).toEqual({
        home: 0,
        away: 0,
        teams: { home: hawksBears().home, away: hawksBears().away },
        startsAt: "2026-06-21T18:00:00.000Z",
        status: "live",
        gameClock: { period: "Q1", secondsLeft: 900, running: true, setAt: expect.any(String) },
      });
      const listed = await alice.next(messageOn("games/all", listSeq + 1));
      expect(listed.kind).toBe("game-list");
      expect((listed.data as { games: unknown[] }).games).toContainEqual({
        gameId: "desc-g1",
        home: hawksBears().home,
        away: hawksBears().away,
        startsAt: "2026-06-21T18:00:00.000Z",
        status: "live",
      });

      // A score keeps the description: every score-update carries what the page needs.
      await http("POST", "/games/desc-g1/score", { body: { home: 7, away: 0, period: "Q1", clock: "10:12" }, operator: true });
      // The score's own frame: alice's watching count may be pushed on the topic first (a seq of its own).
      const scored = await alice.next(
        (frame): frame is MessageFrame => messageOn("game/desc-g1", 2)(frame) && (frame.data as { home: number }).home === 7,
      );
      expect(scored.data).toMatchObject({ home: 7, away: 0, status: "live", teams: { home: { shortName: "HAW" } } });
      expect(scored.data).not.toHaveProperty("timeline");

      expect((await http("DELETE", "/games/desc-g1", { operator: true })).body).toMatchObject({ gameId: "desc-g1", listed: false });
      const unlisted = await alice.next(messageOn("games/all", listed.seq + 1));
      expect((unlisted.data as { games: { gameId: string }[] }).games.map((game) => game.gameId)).not.toContain("desc-g1");
      const again = await http("DELETE", "/games/desc-g1", { operator: true });
      expect(again.status).toBe(404);
      expect(again.body.error.message).toMatch(/PUT \/games\/desc-g1 lists it/);
    },
    SLOW,
  );

  it(
    "a fan can read games/all only as a whole: another games/ topic is INVALID_TOPIC",
    async () => {
      const bob = await fan();
      const ack = await subscribe(bob, "games/secret");
      expect(ack).toMatchObject({ type: "subscribed", topics: [], refused: [{ topic: "games/secret", code: "INVALID_TOPIC" }] });
    },
    SLOW,
  );
});

describe("the scoring timeline", () => {
  it(
    "keeps each update that changed the score, with its play, on the game's item (not the clock-only ones)",
    async () => {
      const score = (body: Record<string, unknown>) => http("POST", "/games/tl-g1/score", { body, operator: true });
      await score({ home: 0, away: 0, period: "Q1", clock: "15:00", lastPlay: "Kick-off" });
      await score({ home: 7, away: 0, period: "Q1", clock: "11:20", lastPlay: "Touchdown run" });
      await score({ home: 7, away: 0, period: "Q1", clock: "09:02", lastPlay: "Punt" });
      await score({ home: 7, away: 3, period: "Q2", clock: "01:10", lastPlay: "Field goal" });
      const db = adminDocumentClient(cloud);
      const { Item } = await db.send(
        new GetCommand({ TableName: cloud.endpoints.tables.games!, Key: { gameId: "tl-g1" }, ConsistentRead: true }),
      );
      db.destroy();
      expect(Item?.timeline).toEqual([
        { at: expect.any(String), home: 7, away: 0, period: "Q1", clock: "11:20", play: "Touchdown run" },
        { at: expect.any(String), home: 7, away: 3, period: "Q2", clock: "01:10", play: "Field goal" },
      ]);
    },
    SLOW,
  );

  it(
    "the contest report tells a described game's story: teams, status, and each scoring play with its points",
    async () => {
      await http("PUT", "/games/rep-g1", { body: hawksBears({ status: "final" }), operator: true });
      const score = (body: Record<string, unknown>) => http("POST", "/games/rep-g1/score", { body, operator: true });
      await score({ home: 0, away: 3, period: "Q1", clock: "07:00", lastPlay: "Bears field goal" });
      await score({ home: 7, away: 3, period: "Q2", clock: "02:10", lastPlay: "Hawks touchdown" });
      const { token } = (await http("POST", "/session", { body: {} })).body as SessionResponse;
      const created = await http("POST", "/jobs", { body: { kind: "contest-report" }, token });
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      const { resultUrl } = created.body;
      let response = await fetch(resultUrl);
      while (response.status === 404) {
        await response.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 100));
        response = await fetch(resultUrl);
      }
      const report = (await response.json()) as { games: Record<string, any>[] };
      expect(report.games.find((game) => game.gameId === "rep-g1")).toEqual({
        gameId: "rep-g1",
        home: hawksBears().home,
        away: hawksBears().away,
        status: "final",
        startsAt: "2026-06-21T18:00:00.000Z",
        score: { home: 7, away: 3 },
        period: "Q2",
        leader: "home",
        scoring: [
          { at: expect.any(String), period: "Q1", clock: "07:00", team: "away", points: 3, home: 0, away: 3, play: "Bears field goal" },
          { at: expect.any(String), period: "Q2", clock: "02:10", team: "home", points: 7, home: 7, away: 3, play: "Hawks touchdown" },
        ],
      });
    },
    SLOW,
  );
});

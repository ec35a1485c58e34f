/**
 * The producer side of the HTTP API for games: describing a game (teams,
 * start, status, clock), listing it on `games/all`, and its scores. One
 * source write per update, never one per fan; the write bumps the topic's
 * seq and the stream does the rest. (The queue's producer routes live with
 * the rest of the waiting room.)
 */
import { z } from "zod";
import { PushgateError } from "../errors";
import { GAME_STATUSES, type GameResponse, type ScoreResponse } from "../protocol";
import type { Clock, GameStore } from "../ports";
import { requireGameId, topicName } from "../topics";
import { parseBody } from "../validate";

/** Games listed on `games/all` at most: 100 summaries keep its frame far below API Gateway's 128 KB. */
export const MAX_LISTED_GAMES = 100;
/** The longest period a clock may show: two hours covers any sport's period with overtime. */
const MAX_CLOCK_SECONDS = 2 * 3600;

const Team = z.strictObject({
  name: z.string().trim().min(1).max(40),
  shortName: z.string().regex(/^[A-Z0-9]{2,4}$/, "must be 2-4 capital letters or digits, e.g. HAW"),
  colour: z.string().regex(/^#[0-9a-fA-F]{6}$/, "must be #rrggbb, e.g. #1f6feb"),
});
const GameBody = z.strictObject({
  home: Team,
  away: Team,
  startsAt: z.string().datetime({ offset: true, message: "must be an ISO-8601 time with a zone, e.g. 2026-06-21T18:00:00Z" }),
  status: z.enum(GAME_STATUSES, { message: `must be one of ${GAME_STATUSES.join(", ")}` }),
  clock: z
    .strictObject({
      period: z.string().trim().min(1).max(16),
      secondsLeft: z.number().int().min(0).max(MAX_CLOCK_SECONDS),
      running: z.boolean(),
    })
    .optional(),
});
const GAME_EXAMPLE = `{"home":{"name":"Hawks","shortName":"HAW","colour":"#1f6feb"},"away":{"name":"Bears","shortName":"BEA","colour":"#d1242f"},"startsAt":"2026-06-21T18:00:00Z","status":"live","clock":{"period":"Q1","secondsLeft":900,"running":true}}`;

/**
 * Describes a game and lists it on `games/all`: two writes (the game's item,
 * which every later score-update carries, and its entry in the list), each
 * pushed. A list already full refuses before anything is written.
 */
export async function describeGame(
  deps: { games: GameStore; clock: Clock },
  gameId: string | undefined,
  body: unknown,
): Promise<GameResponse> {
  const id = requireGameId(gameId);
  const { home, away, startsAt: rawStartsAt, status, clock } = parseBody(GameBody, body, GAME_EXAMPLE);
  const at = new Date(deps.clock.now()).toISOString();
  const startsAt = new Date(rawStartsAt).toISOString();
  const teams = { home, away };
  const listed = await deps.games.listGame({ gameId: id, ...teams, startsAt, status }, at, MAX_LISTED_GAMES);
  if (!listed) {
    throw new PushgateError(
      "CONFLICT",
      `${MAX_LISTED_GAMES} games are listed already; unlist a finished one with DELETE /games/{gameId}, then PUT this one again`,
    );
  }
  const seq = await deps.games.describe(id, { teams, startsAt, status, ...(clock && { gameClock: { ...clock, setAt: at } }) }, at);
  return { gameId: id, topic: topicName("game", id), seq, listed: true };
}

/** Takes a game off `games/all`; its topic and score stay (fans who follow it keep it). */
export async function unlistGame(deps: { games: GameStore; clock: Clock }, gameId: string | undefined): Promise<GameResponse> {
  const id = requireGameId(gameId);
  const removed = await deps.games.unlistGame(id, new Date(deps.clock.now()).toISOString());
  if (!removed) throw new PushgateError("NOT_FOUND", `game ${id} is not listed; PUT /games/${id} lists it`);
  return { gameId: id, topic: topicName("game", id), seq: await deps.games.currentSeq(id), listed: false };
}

const ScoreBody = z.strictObject({
  home: z.number().int().min(0).max(1_000_000),
  away: z.number().int().min(0).max(1_000_000),
  period: z.string().min(1).max(32).optional(),
  clock: z.string().min(1).max(32).optional(),
  lastPlay: z.string().min(1).max(500).optional(),
});

/** Records a game's new score: one row write that bumps the topic's seq; the stream pushes it. */
export async function recordScore(
  deps: { games: GameStore; clock: Clock },
  gameId: string | undefined,
  body: unknown,
): Promise<ScoreResponse> {
  const id = requireGameId(gameId);
  const score = parseBody(ScoreBody, body, `{"home":7,"away":3,"period":"Q2","clock":"08:41","lastPlay":"..."}`);
  const seq = await deps.games.recordScore(id, score, new Date(deps.clock.now()).toISOString());
  return { topic: topicName("game", id), seq };
}

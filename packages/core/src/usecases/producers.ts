/**
 * The producer side of the HTTP API: one source write per update, never one
 * per fan. The write bumps the topic's seq; the stream does the rest. (The
 * queue's producer routes live with the rest of the waiting room.)
 */
import { z } from "zod";
import type { ScoreResponse } from "../protocol";
import type { Clock, GameStore } from "../ports";
import { requireId, topicName } from "../topics";
import { parseBody } from "../validate";

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
  const id = requireId("gameId", gameId);
  const score = parseBody(ScoreBody, body, `{"home":7,"away":3,"period":"Q2","clock":"08:41","lastPlay":"..."}`);
  const seq = await deps.games.recordScore(id, score, new Date(deps.clock.now()).toISOString());
  return { topic: topicName("game", id), seq };
}

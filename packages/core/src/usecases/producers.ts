/**
 * The producer side of the HTTP API: one source write per update, never one
 * per fan. The write bumps the topic's seq; the stream does the rest.
 */
import { z } from "zod";
import type { AdvanceResponse, JoinResponse, ScoreResponse } from "../protocol";
import type { Clock, GameStore, QueueStore } from "../ports";
import { requireId, topicName } from "../topics";
import { parseBody } from "../validate";

const ScoreBody = z.strictObject({
  home: z.number().int().min(0).max(1_000_000),
  away: z.number().int().min(0).max(1_000_000),
  period: z.string().min(1).max(32).optional(),
  clock: z.string().min(1).max(32).optional(),
  lastPlay: z.string().min(1).max(500).optional(),
});
const AdvanceBody = z.strictObject({ by: z.number().int().min(1).max(100_000) });

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

export async function joinQueue(deps: { queues: QueueStore }, eventId: string | undefined): Promise<JoinResponse> {
  const id = requireId("eventId", eventId);
  const { ticket, servingNumber } = await deps.queues.join(id);
  return { ticket, servingNumber, eventId: id, topic: topicName("queue", id) };
}

export async function advanceQueue(
  deps: { queues: QueueStore; clock: Clock },
  eventId: string | undefined,
  body: unknown,
): Promise<AdvanceResponse> {
  const id = requireId("eventId", eventId);
  const { by } = parseBody(AdvanceBody, body, `{"by":10}`);
  const { seq, servingNumber } = await deps.queues.advance(id, by, new Date(deps.clock.now()).toISOString());
  return { topic: topicName("queue", id), seq, servingNumber };
}

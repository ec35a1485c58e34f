/**
 * What a change of each source table publishes: the exact MessageFrame that is
 * pushed and written as the topic's snapshot. Images are checked with zod, so
 * an item a producer wrote wrongly is a poison record (reported, not pushed)
 * rather than a malformed frame on every fan's screen.
 */
import { z } from "zod";
import { GAME_LIST_TOPIC, GAME_STATUSES, type GameStatus, type GameSummary, type MessageFrame } from "./protocol";
import type { SnapshotStore } from "./ports";
import { raisedSeq, type Change, type PublicationOf } from "./stream";
import { GAME_LIST_ITEM_ID, listedGamesOf, topicName } from "./topics";
import { publicPhase, ticketsIssued } from "./usecases/waiting-room";

const Team = z.object({ name: z.string(), shortName: z.string(), colour: z.string() });
const Teams = z.object({ home: Team, away: Team });
const Status = z.enum(GAME_STATUSES);
// A game described (PUT) before its first score has no score yet: 0-0.
const GameImage = z.object({
  gameId: z.string(),
  home: z.number().default(0),
  away: z.number().default(0),
  period: z.string().optional(),
  clock: z.string().optional(),
  lastPlay: z.string().optional(),
  teams: Teams.optional(),
  startsAt: z.string().optional(),
  status: Status.optional(),
  gameClock: z.object({ period: z.string(), secondsLeft: z.number(), running: z.boolean(), setAt: z.string() }).optional(),
  watching: z.number().optional(),
  seq: z.number(),
  updatedAt: z.string(),
});
const GameSummaryImage = Teams.extend({ gameId: z.string(), startsAt: z.string(), status: Status });
const GameListImage = z.object({ seq: z.number(), updatedAt: z.string() });
const QueueImage = z.object({
  eventId: z.string(),
  name: z.string(),
  opensAt: z.string(),
  phase: z.enum(["prequeue", "shuffling", "open"]),
  servingNumber: z.number(),
  prequeueSize: z.number(),
  arrivals: z.number(),
  admittedPerMinute: z.number(),
  seq: z.number(),
  updatedAt: z.string(),
});
const JobImage = z.object({ jobId: z.string(), status: z.enum(["pending", "ready"]), seq: z.number(), updatedAt: z.string() });

function readImage<T>(schema: z.ZodType<T>, table: string, change: Change): T {
  const parsed = schema.safeParse(change.newImage);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${table} item does not have the expected shape at ${issue?.path.join(".") || "item"}: ${issue?.message}`);
  }
  return parsed.data;
}

/** A game's item publishes `score-update` (never its timeline, which is for reports); the list item publishes `games/all`. */
export const gamePublication: PublicationOf = async (change) => {
  if (raisedSeq(change) === undefined) return undefined;
  if (change.newImage?.gameId === GAME_LIST_ITEM_ID) return gameListPublication(change);
  const {
    gameId,
    seq,
    updatedAt,
    timeline: _timeline,
    ...fields
  } = readImage(GameImage.extend({ timeline: z.unknown().optional() }), "games", change);
  // Only the fields the item has: an absent optional stays absent on the wire.
  const data = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as typeof fields;
  return frame("score-update", topicName("game", gameId), seq, data, updatedAt);
};

/** Live and halftime first, then scheduled by start, then final (the latest first): the order a fan looks for. */
const STATUS_RANK: Record<GameStatus, number> = { live: 0, halftime: 0, scheduled: 1, final: 2 };

function gameListPublication(change: Change): MessageFrame<"game-list"> {
  const { seq, updatedAt } = readImage(GameListImage, "games", change);
  const games: GameSummary[] = listedGamesOf(change.newImage).map((entry) => {
    const parsed = GameSummaryImage.safeParse(entry);
    if (!parsed.success)
      throw new Error(`games list item has a listed game without teams, startsAt or status: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  });
  games.sort(
    (a, b) =>
      STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
      (a.status === "final" ? b.startsAt.localeCompare(a.startsAt) : a.startsAt.localeCompare(b.startsAt)) ||
      a.gameId.localeCompare(b.gameId),
  );
  return frame("game-list", GAME_LIST_TOPIC, seq, { games }, updatedAt);
}

export const queuePublication: PublicationOf = async (change) => {
  if (raisedSeq(change) === undefined) return undefined;
  const queue = readImage(QueueImage, "queues", change);
  const data = {
    servingNumber: queue.servingNumber,
    ticketsIssued: ticketsIssued(queue),
    admittedPerMinute: queue.admittedPerMinute,
    phase: publicPhase(queue),
    opensAt: queue.opensAt,
    name: queue.name,
  };
  return frame("queue-position", topicName("queue", queue.eventId), queue.seq, data, queue.updatedAt);
};

/** Only a job that became ready is news; the URL is presigned now, valid for the bucket's presign lifetime. */
export const jobPublication =
  (snapshots: SnapshotStore): PublicationOf =>
  async (change) => {
    if (raisedSeq(change) === undefined) return undefined;
    const { jobId, seq, updatedAt, status } = readImage(JobImage, "jobs", change);
    if (status !== "ready") return undefined;
    const { url, expiresAt } = await snapshots.presignResult(jobId);
    return frame("result-ready", topicName("job", jobId), seq, { jobId, url, expiresAt }, updatedAt);
  };

function frame<K extends MessageFrame["kind"]>(
  kind: K,
  topic: string,
  seq: number,
  data: MessageFrame<K>["data"],
  ts: string,
): MessageFrame<K> {
  return { type: "message", topic, seq, kind, data, ts };
}

/**
 * What a change of each source table publishes: the exact MessageFrame that is
 * pushed and written as the topic's snapshot. Images are checked with zod, so
 * an item a producer wrote wrongly is a poison record (reported, not pushed)
 * rather than a malformed frame on every fan's screen.
 */
import { z } from "zod";
import type { MessageFrame } from "./protocol";
import type { SnapshotStore } from "./ports";
import { raisedSeq, type Change, type PublicationOf } from "./stream";
import { topicName } from "./topics";
import { publicPhase, ticketsIssued } from "./usecases/waiting-room";

const GameImage = z.object({
  gameId: z.string(),
  home: z.number(),
  away: z.number(),
  period: z.string().optional(),
  clock: z.string().optional(),
  lastPlay: z.string().optional(),
  seq: z.number(),
  updatedAt: z.string(),
});
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

export const gamePublication: PublicationOf = async (change) => {
  if (raisedSeq(change) === undefined) return undefined;
  const { gameId, seq, updatedAt, home, away, period, clock, lastPlay } = readImage(GameImage, "games", change);
  const data = {
    home,
    away,
    ...(period !== undefined && { period }),
    ...(clock !== undefined && { clock }),
    ...(lastPlay !== undefined && { lastPlay }),
  };
  return frame("score-update", topicName("game", gameId), seq, data, updatedAt);
};

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

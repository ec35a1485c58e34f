/**
 * The ports core talks through. Adapters in `adapters/` implement them over
 * DynamoDB, the API Gateway Management API and S3; tests may implement the
 * ones that have no local real thing (none do today, except a Gateway fake for
 * fan-out logic). Times are ISO-8601 strings, TTLs epoch seconds.
 */
import type { MessageFrame, ScoreData } from "./protocol";

export type { Clock } from "./wire";

/** The structured logger core reports isolated failures to (Powertools' Logger fits). */
export interface Log {
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export type CountMetric = "ConnectionsOpened" | "MessagesPushed" | "GoneConnections" | "PushFailures";
export type DurationMetric = "FanoutDurationMs";

/** Where core reports what it did (Powertools Metrics, EMF, at the edge). */
export interface Meter {
  count(name: CountMetric, value: number): void;
  milliseconds(name: DurationMetric, value: number): void;
}

// ---- connections and subscriptions -----------------------------------------

export interface Connection {
  connectionId: string;
  fanId: string;
  /** Topics this connection subscribed to, so `$disconnect` finds its subscriptions without a Scan. */
  topics: string[];
  connectedAt: string;
  /** TTL, epoch seconds: past API Gateway's 2-hour limit, for connections that never saw `$disconnect`. */
  expiresAt: number;
}

export interface ConnectionStore {
  put(connection: Connection): Promise<void>;
  get(connectionId: string): Promise<Connection | undefined>;
  /** Adds topics to a connection that still exists; false when it does not (gone, expired). */
  addTopics(connectionId: string, topics: string[]): Promise<boolean>;
  removeTopics(connectionId: string, topics: string[]): Promise<void>;
  /** Deletes the connection and answers what it was, so its subscriptions can follow. */
  delete(connectionId: string): Promise<Connection | undefined>;
  /**
   * Takes one frame from the connection's token bucket, kept on its item so
   * every function instance sees the same bucket. `limited` counts the
   * connection's rate-limited frames so far.
   */
  admitFrame(connectionId: string, nowMs: number, rate: FrameRate): Promise<Admission>;
}

/** A token bucket of `burst` frames refilled at one frame per `intervalMs`. */
export interface FrameRate {
  intervalMs: number;
  burst: number;
}

export type Admission = { outcome: "admitted" } | { outcome: "limited"; strikes: number } | { outcome: "unknown" };

export interface Subscription {
  topic: string;
  connectionId: string;
  fanId: string;
  /** TTL, epoch seconds: the connection's. */
  expiresAt: number;
}

export interface SubscriptionStore {
  /** Subscriptions of a topic are spread over this many shards (see `shardOf`). */
  readonly shardCount: number;
  putAll(subscriptions: Subscription[]): Promise<void>;
  deleteAll(keys: { topic: string; connectionId: string }[]): Promise<void>;
  /** One shard of a topic's subscribers, page by page (a Query, never a Scan). */
  listShard(topic: string, shard: number): AsyncIterable<Subscription[]>;
}

// ---- pushing ---------------------------------------------------------------

export type PostOutcome = "ok" | "gone";

/** The API Gateway Management API: push to one connection, or close it. */
export interface Gateway {
  /** "gone" when the connection no longer exists (410 GoneException); throws on anything else. */
  post(connectionId: string, data: string): Promise<PostOutcome>;
  /** Closes a connection; one that is already gone is not an error. */
  delete(connectionId: string): Promise<void>;
}

export interface PresignedUrl {
  url: string;
  /** ISO-8601 time after which the URL is refused. */
  expiresAt: string;
}

/** The data bucket: `snapshots/{topic}.json` and `results/{jobId}.json`. */
export interface SnapshotStore {
  /** Writes the publication, as the exact envelope pushed, to `snapshots/{topic}.json`. */
  putSnapshot(frame: MessageFrame): Promise<void>;
  presignSnapshot(topic: string): Promise<PresignedUrl>;
  putResult(jobId: string, result: unknown): Promise<void>;
  /** Valid before the object exists; a GET answers 404 until the worker wrote it. */
  presignResult(jobId: string): Promise<PresignedUrl>;
}

// ---- source tables ---------------------------------------------------------

/** Every source table can tell the current seq of one of its items (0 when absent). */
export interface SeqSource {
  currentSeq(id: string): Promise<number>;
}

export interface Game extends ScoreData {
  gameId: string;
  seq: number;
  updatedAt: string;
}

export interface GameStore extends SeqSource {
  /** Sets the score and bumps seq in one UpdateItem; answers the new seq. */
  recordScore(gameId: string, score: ScoreData, at: string): Promise<number>;
  /** Up to `limit` games, for reports (the games table is small: one item per live game). */
  list(limit: number): Promise<Game[]>;
}

export interface QueueStore extends SeqSource {
  /** Hands out the next ticket (ADD nextTicket); does not bump seq, so nothing is pushed. */
  join(eventId: string): Promise<{ ticket: number; servingNumber: number }>;
  /** Admits `by` more tickets and bumps seq in one UpdateItem. */
  advance(eventId: string, by: number, at: string): Promise<{ seq: number; servingNumber: number }>;
}

export type JobStatus = "pending" | "ready";

export interface Job {
  jobId: string;
  fanId: string;
  kind: string;
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  resultKey?: string;
  seq: number;
  /** TTL, epoch seconds. */
  expiresAt: number;
}

export interface JobStore extends SeqSource {
  create(job: Job): Promise<void>;
  get(jobId: string): Promise<Job | undefined>;
  /** pending -> ready and bump seq; false when the job was already ready (a re-delivered record). */
  markReady(jobId: string, resultKey: string, at: string): Promise<boolean>;
}

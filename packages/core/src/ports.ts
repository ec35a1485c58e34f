/**
 * The ports core talks through. Adapters in `adapters/` implement them over
 * DynamoDB, the API Gateway Management API and S3; tests may implement the
 * ones that have no local real thing (none do today, except a Gateway fake for
 * fan-out logic). Times are ISO-8601 strings, TTLs epoch seconds.
 */
import type { GameClock, GameStatus, GameSummary, GameTeams, MessageFrame, ScoreData, TopicType } from "./protocol";

import type { ConnectionShards, ShardCounts } from "./shards";

export type { Clock } from "./wire";

/** The structured logger core reports isolated failures to (Powertools' Logger fits). */
export interface Log {
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export type CountMetric =
  | "ConnectionsOpened"
  | "ConnectionsClosed"
  | "Publications"
  /** Tasks a big publication was split into (usecases/fanout-tasks.ts). */
  | "FanoutTasks"
  | "MessagesPushed"
  | "GoneConnections"
  | "SlowReaders"
  | "PushFailures"
  | "BreakerOpens"
  | "CanarySuccess";
export type DurationMetric = "FanoutDurationMs" | "CanaryLatencyMs";

/**
 * A metric's dimensions beyond the service's. The topic's kind (game, queue,
 * job), never its id: one series per kind, not one per game (CloudWatch bills
 * each series, and alarms need a bounded set).
 */
export interface MetricDimensions {
  topicKind: TopicType;
}

/** Where core reports what it did (Powertools Metrics, EMF, at the edge). */
export interface Meter {
  count(name: CountMetric, value: number, dimensions?: MetricDimensions): void;
  milliseconds(name: DurationMetric, value: number, dimensions?: MetricDimensions): void;
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
  /**
   * Its subscription shard of each topic kind, chosen at `$connect` (see
   * `shardForTopic`), so a change of a kind's shard count neither orphans nor
   * misses its subscriptions. Absent on connections stored before kinds had
   * their own counts.
   */
  shards?: ConnectionShards;
  /** The one shard (of every kind) a connection stored before `shards` was given; absent on newer ones. */
  shard?: number;
}

export interface ConnectionStore {
  put(connection: Connection): Promise<void>;
  get(connectionId: string): Promise<Connection | undefined>;
  /**
   * Adds topics to a connection that still exists, never past `maxTopics` even
   * under concurrent calls: answers the topics it now holds of those asked
   * (in order; the new ones that did not fit are left out), or undefined when
   * the connection is gone (closed, expired).
   */
  addTopicsWithin(connectionId: string, topics: string[], maxTopics: number): Promise<string[] | undefined>;
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
  /** Rate-limited frames are counted within a window this long, opened by the first: strikes decay. */
  strikeWindowMs: number;
}

export type Admission = { outcome: "admitted" } | { outcome: "limited"; strikes: number } | { outcome: "unknown" };

export interface Subscription {
  topic: string;
  connectionId: string;
  fanId: string;
  /** TTL, epoch seconds: the connection's. */
  expiresAt: number;
  /** The shard the item lives in: the connection's of the topic's kind (`shardForTopic`), or the one it was read from. */
  shard: number;
}

/** Which subscription item: its topic, connection and the shard it was written to. */
export type SubscriptionKey = Pick<Subscription, "topic" | "connectionId" | "shard">;

export interface SubscriptionStore {
  /**
   * Each topic kind's shard counts: what new connections are given, and
   * (`listedShards`) how many shards of a topic the fan-out queries, every
   * one a live connection may have written to.
   */
  readonly shardCounts: ShardCounts;
  putAll(subscriptions: Subscription[]): Promise<void>;
  deleteAll(keys: SubscriptionKey[]): Promise<void>;
  /**
   * One shard of a topic's subscribers, page by page (a Query, never a Scan),
   * in connectionId order: `after` resumes past a connection (a fan-out
   * task's cursor), `pageSize` caps a page.
   */
  listShard(topic: string, shard: number, options?: ListOptions): AsyncIterable<Subscription[]>;
}

export interface ListOptions {
  after?: string;
  pageSize?: number;
}

// ---- fan-out across invocations ---------------------------------------------

/**
 * One or more shards of one publication's audience, pushed in turn by one
 * invocation of the fan-out task consumer. `after` is its progress in
 * `shard`: the subscribers up to that connectionId (in the shard's sort
 * order) have been handled, so a retry on any instance resumes there; `more`
 * are the shards to push after it (small shards grouped into one task).
 */
export interface FanoutTask {
  frame: MessageFrame;
  shard: number;
  after?: string;
  more?: number[];
}

/** Where tasks go (SQS on AWS, the local cloud's SQS emulator locally). */
export interface FanoutTaskQueue {
  /** Every task accepted, or a throw (nothing is silently dropped). */
  enqueue(tasks: FanoutTask[]): Promise<void>;
}

/** How much time the invocation has left (Lambda's `context.getRemainingTimeInMillis`). */
export interface Deadline {
  remainingMs(): number;
}

// ---- pushing ---------------------------------------------------------------

/**
 * "ok": handed to the connection; "gone": it no longer exists (410
 * GoneException); "full": it exists but is not reading, and its client side
 * buffer is full (429), so this push was refused for it alone.
 */
export type PostOutcome = "ok" | "gone" | "full";

/** The API Gateway Management API: push to one connection, or close it. */
export interface Gateway {
  /** An outcome for the answers that concern the connection; throws on anything else. */
  post(connectionId: string, data: string): Promise<PostOutcome>;
  /** Closes a connection; one that is already gone is not an error. */
  delete(connectionId: string): Promise<void>;
}

/**
 * A WebSocket to the public API, opened as a fan's browser opens it (the
 * canary's view of the push path; adapters/ws-fan-socket.ts over `ws`).
 */
export interface FanSocket {
  send(text: string): void;
  /** Each text frame received from now on, in order. */
  onFrame(listener: (text: string) => void): void;
  /** Called once if the socket closes before close() was called. */
  onClose(listener: (code: number) => void): void;
  close(): void;
}

/** Resolves once the handshake succeeded; rejects with why it did not (the status API Gateway answered). */
export type OpenFanSocket = (url: string, protocols: string[]) => Promise<FanSocket>;

export interface PresignedUrl {
  url: string;
  /** ISO-8601 time after which the URL is refused. */
  expiresAt: string;
}

/** The data bucket: `snapshots/{topic}.json` and `results/{jobId}.json`. */
export interface SnapshotStore {
  /**
   * Writes the publication, as the exact envelope pushed, to
   * `snapshots/{topic}.json`, unless the snapshot there already has this seq
   * or a newer one (a retried or bisected older record never replaces it):
   * "kept" then.
   */
  putSnapshot(frame: MessageFrame): Promise<"written" | "kept">;
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

/** One scoring change of a game, kept on its item (a bounded list) for reports. */
export interface ScoringEntry {
  /** ISO-8601 time of the update. */
  at: string;
  home: number;
  away: number;
  period?: string;
  clock?: string;
  play?: string;
}

export interface Game extends ScoreData {
  gameId: string;
  seq: number;
  updatedAt: string;
  /** Every update that changed the score, oldest first (at most MAX_TIMELINE_ENTRIES). */
  timeline?: ScoringEntry[];
}

/** What PUT /games/{gameId} stores on the game's item (the clock with the server's setAt). */
export interface GameDescription {
  teams: GameTeams;
  startsAt: string;
  status: GameStatus;
  gameClock?: GameClock;
}

export interface GameStore extends SeqSource {
  /**
   * Sets the score and bumps seq in one UpdateItem; answers the new seq. An
   * update that changes the score also appends it to the game's timeline.
   */
  recordScore(gameId: string, score: ScoreData, at: string): Promise<number>;
  /** Sets the game's description (teams, start, status, clock) and bumps seq; answers the new seq. */
  describe(gameId: string, description: GameDescription, at: string): Promise<number>;
  /** Lists (or updates) the game on `games/all`; false when `max` other games are listed already. */
  listGame(summary: GameSummary, at: string, max: number): Promise<boolean>;
  /** Takes the game off `games/all`; false when it was not listed. */
  unlistGame(gameId: string, at: string): Promise<boolean>;
  /** The listed games (`games/all`'s entries), in no particular order. */
  listedGames(): Promise<GameSummary[]>;
  /** Up to `limit` games, for reports (the games table is small: one item per live game). */
  list(limit: number): Promise<Game[]>;
  /** The game's occupancy fields (see WatchingState); undefined unless the game was described (PUT /games/{gameId}). */
  watchingOf(gameId: string): Promise<WatchingState | undefined>;
  /**
   * Pushes a count: sets `watching` and `watchingPushed`, stamps `watchingAt`
   * and bumps seq, if the game is described and its `watchingAt` is still
   * `previousAt` (no other invocation pushed meanwhile); false otherwise.
   */
  publishWatching(gameId: string, watching: number, atMs: number, previousAt: number | undefined): Promise<boolean>;
  /** Carries a count: sets `watching` without a new seq (the next update carries it); false unless the game is described. */
  carryWatching(gameId: string, watching: number): Promise<boolean>;
  /** The games whose `watching` differs from `watchingPushed` (a carried count not pushed yet). */
  carriedWatching(): Promise<string[]>;
}

export interface WatchingState {
  /** The latest count, carried by every score-update of the game. */
  watching?: number;
  /** The count of the last count push. */
  watchingPushed?: number;
  /** Epoch ms of the last count push. */
  watchingAt?: number;
}

/**
 * The occupancy counters (usecases/occupancy.ts): one per game subscription
 * shard, each remembering the last stream record it counted.
 */
export interface WatcherCounters {
  /**
   * Adds `delta` if the counter has counted nothing at or after
   * `firstSequence`, and remembers `lastSequence`; otherwise answers the last
   * sequence it did count, so the caller can count only what is newer.
   */
  add(counterId: string, gameId: string, delta: number, firstSequence: string, lastSequence: string): Promise<AddOutcome>;
  /** The sum of a game's counters over shards `0 .. shardCount - 1` (may dip below 0 briefly: see occupancy.ts). */
  sum(gameId: string, shardCount: number): Promise<number>;
}

export type AddOutcome = { added: true } | { added: false; lastCounted: string };

/** What an operator sets with PUT /queues/{eventId}. */
export interface QueueSettings {
  name: string;
  /** ISO-8601. Fans who join before it are drawn in random order at opening. */
  opensAt: string;
  /** Automatic advance; undefined: only the operator advances. */
  admitPerMinute?: number;
  admissionTtlSeconds: number;
  saleUrl?: string;
  /** A join must carry a proof of work with this many leading zero bits; undefined: none asked (the default). */
  proofOfWorkBits?: number;
}

/** prequeue -> shuffling (the draw froze the pre-queue) -> open (tickets 1..prequeueSize drawn). */
export type StoredQueuePhase = "prequeue" | "shuffling" | "open";

/** A waiting room: one item of the queues table, the source of `queue/{eventId}`. */
export interface Queue extends QueueSettings {
  eventId: string;
  phase: StoredQueuePhase;
  /** The highest ticket admitted; never above ticketsIssued. */
  servingNumber: number;
  /** Fans drawn at opening: they hold tickets 1..prequeueSize. */
  prequeueSize: number;
  /** Fans who joined after opensAt, counted; arrival k holds ticket prequeueSize + k. */
  arrivals: number;
  /** (epoch ms, servingNumber) after each advance, newest last, for the smoothed admission rate. */
  servedSamples: { at: number; serving: number }[];
  admittedPerMinute: number;
  /** When the automatic advance last moved (or found nothing to admit); ISO-8601. */
  autoAdvancedAt?: string;
  seq: number;
  updatedAt: string;
}

/** One fan's place in one queue (the places table): written once, at the fan's first join. */
export interface Place {
  eventId: string;
  fanId: string;
  joinedAt: string;
  /** Set by the opening draw for a pre-queued fan. */
  ticket?: number;
  /** Set for a fan who joined after opensAt: its ticket is prequeueSize + arrival. */
  arrival?: number;
  /** TTL, epoch seconds. */
  expiresAt: number;
}

export interface QueueStore extends SeqSource {
  /** Creates the queue, or updates its settings (and bumps seq so waiting fans see them). */
  put(eventId: string, settings: QueueSettings, at: string): Promise<Queue>;
  get(eventId: string): Promise<Queue | undefined>;
  /** Every queue (one item per event: a small table), for the scheduled tick. */
  list(): Promise<Queue[]>;
  place(eventId: string, fanId: string): Promise<Place | undefined>;
  /**
   * Adds the fan to the pre-queue, atomically with a check that the draw has
   * not frozen it: "closed" when it has (the fan then arrives after opening),
   * "exists" when the fan already has a place.
   */
  joinPrequeue(place: Place): Promise<"joined" | "exists" | "closed">;
  /** Counts one more arrival (ADD arrivals) and writes the fan's place with it; "exists" when the fan already has one. */
  joinArrival(place: Omit<Place, "arrival">): Promise<Place | "exists">;
  /** prequeue -> shuffling, once; false when another run got there first. */
  freezePrequeue(eventId: string, at: string): Promise<boolean>;
  /** Every pre-queued place (not the arrivals), ticketed or not, so a cut-short draw is redrawn whole (a Query, paged). */
  prequeue(eventId: string): Promise<Place[]>;
  /** Writes the drawn tickets (batched; a re-run writes the same places again). */
  assignTickets(places: Place[]): Promise<void>;
  /** shuffling -> open with tickets 1..prequeueSize drawn; bumps seq, so every fan hears it. */
  open(eventId: string, prequeueSize: number, at: string): Promise<Queue>;
  /**
   * Sets the serving number, bumps seq, if the queue is still at `expectedSeq`
   * (optimistic: the caller read it, capped the number, and retries on false).
   */
  setServing(eventId: string, expectedSeq: number, change: ServingChange): Promise<Queue | undefined>;
}

export interface ServingChange {
  servingNumber: number;
  servedSamples: Queue["servedSamples"];
  admittedPerMinute: number;
  at: string;
  /** Set by the automatic advance. */
  autoAdvancedAt?: string;
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

// ---- sessions and quotas ----------------------------------------------------

/** What became of a renewal's claim on its token (usecases/session.ts). */
export type TokenSpend = "spent" | "already-spent" | "session-revoked";

/**
 * Which fan tokens have been traded for a new one, and which sessions are
 * revoked. Entries only need to outlive the tokens they name (TTL).
 */
export interface SessionLedger {
  /** Marks token `tokenId` renewed, once: "already-spent" the second time; "session-revoked" when its session is. */
  spend(tokenId: string, sessionId: string, keepUntilSeconds: number): Promise<TokenSpend>;
  /** No token of this session can be renewed any more. */
  revoke(sessionId: string, keepUntilSeconds: number): Promise<void>;
}

/** The outcome of taking one unit of a quota. */
export type QuotaTake = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Counters in fixed windows: `take` counts one use of `key` in the window that
 * holds `now`, unless `limit` uses are already counted there.
 */
export interface QuotaCounter {
  take(key: string, limit: number, windowSeconds: number, now: Date): Promise<QuotaTake>;
}

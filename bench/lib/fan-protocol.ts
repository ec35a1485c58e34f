/**
 * The IPC vocabulary between the orchestrator (bench/run.ts) and the fan
 * processes (bench/fan-process.ts). Every command carries an id; the fan
 * process answers each with exactly one reply of the same id.
 */

/** Raw `ws` sockets: optionally authenticated (POST /session) and subscribed to topics. */
export interface OpenSockets {
  type: "open-sockets";
  url: string;
  count: number;
  /** When set, each socket gets its own session token and offers the subprotocol and `token.<jwt>`. */
  httpApiUrl?: string;
  subscribe?: string[];
  /** New sockets per second from this process; the gateway refuses over 500/s in total with 429. */
  ratePerSecond: number;
  /**
   * Source addresses to spread the sockets over (127.0.0.x), round robin: one
   * address has ~28,000 ephemeral ports toward one server port, so tens of
   * thousands of sockets need several. Default: the system's choice.
   */
  localAddresses?: string[];
  /** Sockets that share one session token (one fan with many tabs, as far as $connect cares). Default 1. */
  socketsPerToken?: number;
  /** Handshakes in flight from this process. Default 24. */
  concurrency?: number;
}

/** Per socket: did it get every one of `keys` (`${topic}#${seq}`)? Answered with an AuditReply. */
export interface Audit {
  type: "audit";
  keys: string[];
}

export interface AuditReply {
  sockets: number;
  /** Sockets that lack at least one of the keys. */
  missing: number;
  /** Pushes of the keys that a socket got more than once (at least once allows it; counted, not failed). */
  duplicates: number;
}

/** How many sockets this process has open (read while an open-sockets runs, for progress lines). */
export interface OpenProgress {
  type: "open-progress";
}

/** How many pushes this process has received since the last collect, by `${topic}#${seq}` (no times: cheap to send mid-run). */
export interface ReceiptCounts {
  type: "receipt-counts";
}

/** The receipt times recorded since the last collect, keyed `${topic}#${seq}`; then forgotten. */
export interface Collect {
  type: "collect";
}

export interface CloseSockets {
  type: "close-sockets";
}

/** Polling fans get their tokens and presigned snapshot URLs first, so setup is not counted as staleness. */
export interface PreparePoll {
  type: "prepare-poll";
  httpApiUrl: string;
  topic: string;
  fans: number;
}

/** The prepared fans poll the snapshot (what the client does with the socket down). */
export interface Poll {
  type: "poll";
  intervalMs: number;
  durationMs: number;
}

/** `createPushClient` instances holding one topic. */
export interface StartClients {
  type: "start-clients";
  httpApiUrl: string;
  websocketUrl: string;
  topic: string;
  count: number;
  ratePerSecond: number;
  /** The client's `reconnect` option. */
  reconnect: { baseMs: number; capMs: number };
  /** A constant in place of Math.random: with baseMs === capMs this makes a fixed retry interval. */
  fixedRandom?: number;
}

/** What the clients saw since start (or the last report): applied messages, state changes, final stores. */
export interface ClientReport {
  type: "client-report";
}

export interface CloseClients {
  type: "close-clients";
}

/** Presale: `count` fans of `group` get their session tokens (POST /session), ahead of the burst. */
export interface PresaleSessions {
  type: "presale-sessions";
  httpApiUrl: string;
  group: "before" | "after";
  count: number;
}

/** Presale: the fans of `group` join the queue, started no earlier than `startAt` (epoch ms) and no faster than `ratePerSecond`. */
export interface PresaleJoin {
  type: "presale-join";
  httpApiUrl: string;
  eventId: string;
  group: "before" | "after";
  startAt: number;
  ratePerSecond: number;
  /** Joins in flight from this process: a fan is one request, so this bounds the open requests. */
  concurrency: number;
}

/** Presale: how many joins this process finished so far (read while a presale-join runs). */
export interface PresaleProgress {
  type: "presale-progress";
}

/** Presale: every fan's GET /queues/{eventId}/me, answered as its ticket (null when none). */
export interface PresaleTickets {
  type: "presale-tickets";
  httpApiUrl: string;
  eventId: string;
}

/**
 * Presale: the fans holding tickets in [fromTicket, toTicket] open a socket with
 * their own token and subscribe to the queue topic; each records the first
 * moment a queue-position says servingNumber >= its ticket ("told").
 */
export interface PresaleHold {
  type: "presale-hold";
  websocketUrl: string;
  topic: string;
  fromTicket: number;
  toTicket: number;
  ratePerSecond: number;
}

/** Presale: [ticket, told at] for every held fan told so far. */
export interface PresaleTold {
  type: "presale-told";
}

export type FanCommand = (
  | OpenSockets
  | OpenProgress
  | ReceiptCounts
  | Audit
  | Collect
  | CloseSockets
  | PreparePoll
  | Poll
  | StartClients
  | ClientReport
  | CloseClients
  | PresaleSessions
  | PresaleJoin
  | PresaleProgress
  | PresaleTickets
  | PresaleHold
  | PresaleTold
) & { id: number };

export interface PresaleJoinReply {
  /** Per join: [request start, latency ms] (epoch ms, the shared clock). */
  joins: [number, number][];
  /** The `status` of each answer ("prequeue", "waiting", "admitted") or `HTTP <code>` when refused. */
  outcomes: Record<string, number>;
}

export interface PresaleTicketsReply {
  tickets: (number | null)[];
  failures: number;
}

export interface PresaleHoldReply extends OpenedReply {
  held: number;
  /** The tickets of the fans whose socket is subscribed. */
  heldTickets: number[];
}

export interface OpenedReply {
  opened: number;
  failed: number;
  refused429: number;
  ms: number;
}

export interface CollectedReply {
  receipts: Record<string, number[]>;
}

export interface PolledReply {
  requests: number;
  ok: number;
  notModified: number;
  errors: number;
  /** Per fan: [seq, first time this fan held seq] for every seq it saw. */
  firstSeen: [number, number][][];
  startedAt: number;
  endedAt: number;
}

export interface ClientReportReply {
  /** Per client: [seq, receivedAt] of each applied message. */
  applied: [number, number][][];
  /** Every state change: [client index, state, at]. */
  states: [number, string, number][];
  /** Handshake failures by HTTP status or error code, e.g. {"429": 12, "HANDSHAKE_FAILED": 3}. */
  failures: Record<string, number>;
  final: { seq: number; data: unknown; state: string }[];
}

export type FanReply = { id: number; error?: string; result?: unknown };

/**
 * Wire protocol v1, the part every package shares (normative text: docs/protocol.md).
 *
 * This module owns the protocol's constants, the frame and HTTP body types,
 * the cheap structural checks a receiver of server frames needs, and the one
 * `Clock` and `Timers` shape that time-dependent code takes. It imports
 * nothing, so the browser client and the web app can import it without
 * pulling zod (or anything else) into their bundles. The server's strict
 * parsing of client frames lives beside it, in `protocol.ts`.
 */

// ---- constants ---------------------------------------------------------------

/** The subprotocol a client offers and `$connect` answers with. */
export const SUBPROTOCOL = "pushgate.v1";
/** Prefix of the second subprotocol a browser offers: `token.<jwt>` (a browser cannot set headers). */
export const TOKEN_SUBPROTOCOL_PREFIX = "token.";

/** API Gateway's limit per frame (it also caps a message at 128 KB). */
export const MAX_FRAME_BYTES = 32 * 1024;
/** Topics in one subscribe or unsubscribe frame; a client with more sends several frames. */
export const MAX_TOPICS_PER_REQUEST = 50;
/** Longest request id a client may send; the server echoes it in the answer. */
export const MAX_REQUEST_ID_LENGTH = 64;

export const ERROR_CODES = [
  "BAD_REQUEST",
  "UNKNOWN_ACTION",
  "INVALID_TOPIC",
  "FORBIDDEN",
  "TOO_LARGE",
  "RATE_LIMITED",
  "INTERNAL",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Codes that only the HTTP API answers with (401, 404, 409): a socket never
 * sees them, since a WebSocket is authorized once, at `$connect`. NOT_YET is
 * the waiting room's "your ticket is not reached" (with `peopleAhead`),
 * CONFLICT a change the resource's state no longer allows. SESSION_ENDED and
 * TOKEN_ALREADY_RENEWED (401) refuse a renewal: past the session's absolute
 * lifetime or revoked, and a token traded in a second time (docs/reliability.md).
 * CHALLENGE_REQUIRED (428) asks a join for a proof of work (docs/waiting-room.md), with `bits`.
 */
export const HTTP_ONLY_ERROR_CODES = [
  "UNAUTHORIZED",
  "NOT_FOUND",
  "NOT_YET",
  "CONFLICT",
  "SESSION_ENDED",
  "TOKEN_ALREADY_RENEWED",
  "CHALLENGE_REQUIRED",
] as const;
export type ApiErrorCode = ErrorCode | (typeof HTTP_ONLY_ERROR_CODES)[number];

/**
 * Starts the message of the last RATE_LIMITED frame before the server closes
 * an abusive connection: API Gateway's DeleteConnection cannot send close code
 * 1008, so the frame says it. A client must not reconnect at once after it.
 */
export const POLICY_VIOLATION_PREFIX = "policy violation (1008)";

export const MESSAGE_KINDS = ["score-update", "queue-position", "result-ready", "game-list"] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

// ---- topics ------------------------------------------------------------------

export type TopicType = "game" | "queue" | "job" | "games";

/** The one message kind each topic family carries. */
export const KIND_OF_TOPIC_TYPE = {
  game: "score-update",
  queue: "queue-position",
  job: "result-ready",
  games: "game-list",
} as const satisfies Record<TopicType, MessageKind>;

/**
 * The one topic of the `games` family: the games the operator listed with
 * `PUT /games/{gameId}` (and has not unlisted with DELETE), so a page finds
 * today's games without a rebuild.
 */
export const GAME_LIST_TOPIC = "games/all";

/** A topic's name, `game/g1`: its family, a slash, an id of 1-64 letters, digits, _ or -. */
export type TopicName<T extends TopicType = TopicType> = `${T}/${string}`;

/** The message kind a topic carries, read from its name: `KindOfTopic<"game/g1">` is `"score-update"`. */
export type KindOfTopic<T extends string> = T extends `${infer Type extends TopicType}/${string}`
  ? (typeof KIND_OF_TOPIC_TYPE)[Type]
  : MessageKind;

// ---- client -> server --------------------------------------------------------

export interface SubscribeFrame {
  action: "subscribe";
  id: string;
  topics: string[];
}
export interface UnsubscribeFrame {
  action: "unsubscribe";
  id: string;
  topics: string[];
}
export interface PingFrame {
  action: "ping";
  id: string;
}
export type ClientFrame = SubscribeFrame | UnsubscribeFrame | PingFrame;
export type ClientAction = ClientFrame["action"];
export const CLIENT_ACTIONS = ["subscribe", "unsubscribe", "ping"] as const satisfies readonly ClientAction[];

// ---- server -> client --------------------------------------------------------

export interface SubscribedTopic {
  topic: string;
  /** The topic's current seq (0 when nothing was published yet). */
  seq: number;
  /** Presigned GET of `snapshots/{topic}.json`; may 404 until the first publication. */
  snapshotUrl: string;
}

/**
 * A topic of a request the server would not subscribe (or sign a snapshot URL
 * for), with the code and message an error frame would have carried: asking
 * again gets the same answer until the cause changes.
 */
export interface RefusedTopic {
  topic: string;
  code: ErrorCode;
  message: string;
}

export interface SubscribedFrame {
  type: "subscribed";
  id: string;
  /** The topics now subscribed. */
  topics: SubscribedTopic[];
  /** The topics of the request that were refused, one outcome each (absent when none were). */
  refused?: RefusedTopic[];
}
export interface UnsubscribedFrame {
  type: "unsubscribed";
  id: string;
  topics: string[];
}
export interface PongFrame {
  type: "pong";
  id: string;
}

export interface ScoreData {
  home: number;
  away: number;
  period?: string;
  /** The clock as the producer last wrote it ("08:41"); `gameClock` is the one a page can run. */
  clock?: string;
  lastPlay?: string;
  // Added compatibly to v1 (a client that ignores them sees the frame it knew).
  // Present once the operator described the game with PUT /games/{gameId}:
  teams?: GameTeams;
  /** ISO-8601 kick-off. */
  startsAt?: string;
  status?: GameStatus;
  gameClock?: GameClock;
  /**
   * How many fans are watching this game: exact below WATCHING_EXACT_BELOW,
   * two significant digits from there (occupancy.ts). Refreshed at most every
   * 5-60 s, the longer the bigger the audience; never a list of fans.
   */
  watching?: number;
}

/** `watching` is exact below this and rounded to two significant digits from it ("about 12,000"). */
export const WATCHING_EXACT_BELOW = 1_000;

/** What a page says of a `watching` count: "12 watching", "About 12,000 watching" (a rounded one). */
export const formatWatching = (watching: number): string =>
  watching < WATCHING_EXACT_BELOW ? `${watching} watching` : `About ${watching.toLocaleString("en-US")} watching`;

export const GAME_STATUSES = ["scheduled", "live", "halftime", "final"] as const;
export type GameStatus = (typeof GAME_STATUSES)[number];

export interface TeamInfo {
  /** "Hawks", up to 40 characters. */
  name: string;
  /** 2-4 capitals or digits, for a phone's narrow row: "HAW". */
  shortName: string;
  /** The team's colour as #rrggbb. */
  colour: string;
}
export interface GameTeams {
  home: TeamInfo;
  away: TeamInfo;
}

/**
 * A game clock the page runs between updates: while `running`, the time left
 * is `secondsLeft` minus the seconds since `setAt` (never below 0). `setAt` is
 * the server's time, so a page whose clock is off by a few seconds is off by as
 * much; the next update corrects it.
 */
export interface GameClock {
  period: string;
  secondsLeft: number;
  running: boolean;
  /** ISO-8601, when the server stored this clock. */
  setAt: string;
}

/** The seconds left on a game clock at `nowMs`. */
export function secondsLeftAt(clock: GameClock, nowMs: number): number {
  if (!clock.running) return clock.secondsLeft;
  const elapsed = Math.max(0, Math.floor((nowMs - Date.parse(clock.setAt)) / 1000));
  return Math.max(0, clock.secondsLeft - elapsed);
}

/** Whole seconds as the mm:ss a game clock shows ("08:41"). */
export const formatClock = (seconds: number): string =>
  `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;

/** One listed game: what a list of games needs (its score is on its own topic, `game/{gameId}`). */
export interface GameSummary extends GameTeams {
  gameId: string;
  startsAt: string;
  status: GameStatus;
}
/** `games/all`: the listed games, live first, then scheduled by start time, then final. */
export interface GameListData {
  games: GameSummary[];
}
export interface QueuePositionData {
  /** The highest ticket admitted; a fan with ticket t > servingNumber has t - servingNumber - 1 people ahead. */
  servingNumber: number;
  /** Tickets handed out so far (the serving number never passes it); 0 before opening. */
  ticketsIssued: number;
  /** Tickets admitted per minute, smoothed over the last few minutes: with people ahead, an estimated wait. */
  admittedPerMinute: number;
  /** "prequeue" until the opening shuffle gave every early fan a ticket (then GET /queues/{id}/me tells it). */
  phase: QueuePhase;
  /** ISO-8601 opening time, for the countdown. */
  opensAt: string;
  name: string;
}
export type QueuePhase = "prequeue" | "open";
export interface ResultReadyData {
  jobId: string;
  /** Presigned GET of `results/{jobId}.json`. */
  url: string;
  expiresAt: string;
}

export interface DataByKind {
  "score-update": ScoreData;
  "queue-position": QueuePositionData;
  "result-ready": ResultReadyData;
  "game-list": GameListData;
}

/** A publication on a topic; also the exact body of the S3 snapshot. */
export interface MessageFrame<K extends MessageKind = MessageKind> {
  type: "message";
  topic: string;
  seq: number;
  kind: K;
  data: DataByKind[K];
  /** ISO-8601 time of the source write. */
  ts: string;
}

export interface ErrorFrame {
  type: "error";
  /** The request's id when the frame had one. */
  id?: string;
  code: ErrorCode;
  message: string;
}

export type ServerFrame = SubscribedFrame | UnsubscribedFrame | PongFrame | MessageFrame | ErrorFrame;

export const errorFrame = (code: ErrorCode, message: string, id?: string): ErrorFrame =>
  id === undefined ? { type: "error", code, message } : { type: "error", id, code, message };

// ---- cheap checks of server frames (no schema library) -----------------------

/**
 * Read one server frame. Only the fields a client relies on are checked; a
 * frame that fails comes back with the reason, and the receiver drops it and
 * keeps the socket, as the protocol asks of the server too.
 */
export function readServerFrame(data: unknown): { ok: true; frame: ServerFrame } | { ok: false; why: string } {
  const bad = (why: string) => ({ ok: false as const, why });
  if (typeof data !== "string") return bad("not a text frame");
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return bad("not JSON");
  }
  if (!isRecord(raw)) return bad("not a JSON object");
  const ok = { ok: true as const, frame: raw as unknown as ServerFrame };
  switch (raw.type) {
    case "message":
      return isMessageFrame(raw) ? ok : bad("a message without topic, seq, kind or ts");
    case "subscribed":
      if (!Array.isArray(raw.topics) || !raw.topics.every(isSubscribedTopic))
        return bad("a subscribed ack without topics[{topic, seq, snapshotUrl}]");
      return isRefusedList(raw.refused) ? ok : bad("a subscribed ack whose refused is not [{topic, code, message}]");
    case "unsubscribed":
    case "pong":
      return ok;
    case "error":
      return typeof raw.code === "string" && typeof raw.message === "string" ? ok : bad("an error without code or message");
    default:
      return bad(`unknown type ${JSON.stringify(raw.type)}`);
  }
}

/** Whether a value (a pushed frame or a snapshot body) has what applying a publication needs. */
export function isMessageFrame(value: unknown): value is MessageFrame {
  return (
    isRecord(value) &&
    value.type === "message" &&
    typeof value.topic === "string" &&
    isSeq(value.seq) &&
    typeof value.kind === "string" &&
    typeof value.ts === "string"
  );
}

function isSubscribedTopic(value: unknown): boolean {
  return isRecord(value) && typeof value.topic === "string" && isSeq(value.seq) && typeof value.snapshotUrl === "string";
}

/** An absent list, or one whose every entry names its topic, code and message. */
export function isRefusedList(value: unknown): value is RefusedTopic[] | undefined {
  return (
    value === undefined ||
    (Array.isArray(value) &&
      value.every(
        (entry) =>
          isRecord(entry) && typeof entry.topic === "string" && typeof entry.code === "string" && typeof entry.message === "string",
      ))
  );
}

function isSeq(value: unknown): boolean {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---- HTTP API bodies -----------------------------------------------------------

/** Every 4xx/5xx of the HTTP API. */
export interface HttpErrorBody {
  /**
   * Some codes carry facts to act on: NOT_YET has `peopleAhead` (a number, or null in the pre-queue);
   * RATE_LIMITED has `retryAfterSeconds` (also sent as the `Retry-After` header); CHALLENGE_REQUIRED has the `bits` asked.
   */
  error: { code: ApiErrorCode; message: string; peopleAhead?: number | null; retryAfterSeconds?: number; bits?: number };
}
/**
 * `POST /session`; send the previous token as `Authorization: Bearer` to renew
 * for the same fan. Each token can be renewed once, and no renewal reaches past
 * `sessionEndsAt`: after it, start a new session (no Authorization header).
 */
export interface SessionResponse {
  token: string;
  fanId: string;
  /** ISO-8601. */
  expiresAt: string;
  /** ISO-8601: the session's absolute end, the same through every renewal. */
  sessionEndsAt: string;
}
/** `POST /games/{gameId}/score` with `x-operator-key`; the body is a `ScoreData`. */
export interface ScoreResponse {
  topic: TopicName<"game">;
  seq: number;
}
/**
 * `PUT /games/{gameId}` with `x-operator-key`: the game's description (teams,
 * start, status, clock), which every later score-update carries and which
 * lists the game on `games/all`. The clock's `setAt` is the server's.
 */
export interface GameSettings extends GameTeams {
  startsAt: string;
  status: GameStatus;
  clock?: Omit<GameClock, "setAt">;
}
/** `PUT /games/{gameId}` and `DELETE /games/{gameId}` (unlists it) with `x-operator-key`. */
export interface GameResponse {
  gameId: string;
  topic: TopicName<"game">;
  /** The game topic's seq after the write. */
  seq: number;
  listed: boolean;
}
/** `PUT /queues/{eventId}` with `x-operator-key`: the queue as stored. */
export interface QueueResponse {
  eventId: string;
  name: string;
  opensAt: string;
  admitPerMinute: number | null;
  admissionTtlSeconds: number;
  saleUrl: string | null;
  /** Leading zero bits a join's proof of work must have; null: joins need none (the default). */
  proofOfWorkBits: number | null;
  topic: TopicName<"queue">;
  phase: QueuePhase;
  servingNumber: number;
  ticketsIssued: number;
}
export type PlaceStatus = "prequeue" | "waiting" | "admitted";
/** `POST /queues/{eventId}/join` and `GET /queues/{eventId}/me` with a fan token: the fan's one place. */
export interface JoinResponse {
  eventId: string;
  name: string;
  topic: TopicName<"queue">;
  opensAt: string;
  status: PlaceStatus;
  /** null in the pre-queue: tickets are drawn at opening. */
  ticket: number | null;
  servingNumber: number;
  /** null in the pre-queue; 0 once admitted. */
  peopleAhead: number | null;
}
/**
 * `GET /queues/{eventId}/challenge` with a fan token: a proof-of-work challenge
 * for this fan and event, HMAC-signed, short-lived. Find a decimal `nonce`
 * such that SHA-256(`proofOfWorkInput(challenge, nonce)`) starts with `bits`
 * zero bits, then join with `JoinRequest`. `bits` is 0 when the queue asks no proof.
 */
export interface ChallengeResponse {
  challenge: string;
  bits: number;
  /** ISO-8601: join before it. */
  expiresAt: string;
}
/** The body of `POST /queues/{eventId}/join`: empty, or a solved challenge when the queue asks for one. */
export interface JoinRequest {
  challenge?: string;
  nonce?: string;
}

/** The bytes a proof of work hashes: one definition for the server that checks and the browser that solves. */
export const proofOfWorkInput = (challenge: string, nonce: string): string => `${challenge}:${nonce}`;

/** How many leading zero bits a hash has (the work a nonce proves: 2^bits tries on average). */
export function leadingZeroBits(hash: Uint8Array): number {
  let bits = 0;
  for (const byte of hash) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** `POST /queues/{eventId}/admission` with a fan token, once admitted (409 NOT_YET with `peopleAhead` before). */
export interface AdmissionResponse {
  /** ES256 JWT: sub, eventId, ticket, iat, exp, jti; `kid` in its header names a key of GET /.well-known/jwks.json. */
  token: string;
  expiresAt: string;
  saleUrl?: string;
}
/** `GET /.well-known/jwks.json`: the public keys admission tokens are signed with. */
export interface JwksResponse {
  keys: { kty: "EC"; crv: "P-256"; x: string; y: string; kid: string; alg: "ES256"; use: "sig" }[];
}
/** `POST /queues/{eventId}/advance` with `x-operator-key`, body `{ by }`. */
export interface AdvanceResponse {
  topic: TopicName<"queue">;
  seq: number;
  servingNumber: number;
}
/** `POST /jobs` with a fan token, body `{ kind: "contest-report" }`. */
export interface CreateJobResponse {
  jobId: string;
  /** Presigned GET of `results/{jobId}.json`, valid before the object exists (404 until then). */
  resultUrl: string;
  topic: TopicName<"job">;
}
/**
 * `results/{jobId}.json` of a contest-report job (`result-ready` carries its
 * URL): what a fan downloads and the page shows: each of the operator's games with
 * its teams, where it stands, and how it got there (every scoring play, from
 * the score updates pushgate already carried). No internal ids but the game's.
 */
export interface ContestReport {
  kind: "contest-report";
  generatedAt: string;
  games: ReportedGame[];
}
export interface ReportedGame {
  gameId: string;
  home: ReportedTeam;
  away: ReportedTeam;
  status?: GameStatus;
  startsAt?: string;
  score: { home: number; away: number };
  period?: string;
  leader: "home" | "away" | "tied";
  scoring: ScoringPlay[];
}
/** A team as reported: a game never described has only "Home" and "Away". */
export type ReportedTeam = Pick<TeamInfo, "name"> & Partial<Pick<TeamInfo, "shortName" | "colour">>;
export interface ScoringPlay {
  at: string;
  period?: string;
  clock?: string;
  /** The side that scored and how many points (a correction that lowered a score has negative points). */
  team: "home" | "away";
  points: number;
  /** The score after it. */
  home: number;
  away: number;
  play?: string;
}

/**
 * `GET /snapshots?topics=game/g1,queue/e1` with a fan token: a URL for each
 * topic the fan may read, and the others in `refused` (one forbidden topic
 * does not block polling for the rest).
 */
export interface SnapshotsResponse {
  snapshots: { topic: string; url: string }[];
  refused?: RefusedTopic[];
}

// ---- time ----------------------------------------------------------------------

/**
 * Wall-clock time, injected wherever logic depends on it (token expiry, retry
 * deadlines, rate limits, idle limits) so tests drive it without waiting.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export type TimerHandle = { readonly __timer: unique symbol } | object | number;

/** The part of `setTimeout` / `clearTimeout` time-dependent code uses, injected for the same reason as `Clock`. */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const systemClock: Clock = { now: () => Date.now() };

// ---- /endpoints.json ------------------------------------------------------------

/** Where the page finds the HTTP API and the WebSocket: what a dev server serves at /endpoints.json. */
export interface BrowserEndpoints {
  httpApiUrl: string;
  websocketUrl: string;
}

/**
 * What a dev server may hand a browser at /endpoints.json: the two URLs the
 * page needs and nothing else. The local cloud's endpoints.json also holds the
 * operator key, the admin credentials and the endpoints of DynamoDB, S3 and
 * SSM, which are for tools.
 */
export function browserEndpoints(all: Readonly<Record<string, unknown>>): Partial<BrowserEndpoints> {
  const picked: Partial<BrowserEndpoints> = {};
  if (typeof all.httpApiUrl === "string") picked.httpApiUrl = all.httpApiUrl;
  if (typeof all.websocketUrl === "string") picked.websocketUrl = all.websocketUrl;
  return picked;
}

/**
 * Wire protocol v1 (normative; see DESIGN.md "Wire protocol v1").
 *
 * Client frames are parsed with zod here and only here; the server frames are
 * plain types plus builders so that every edge writes them the same way. The
 * browser client imports the types only (`import type`), so zod stays out of
 * its bundle.
 */
import { z } from "zod";

export const SUBPROTOCOL = "pushgate.v1";
/** Prefix of the second subprotocol a browser offers: `token.<jwt>`. */
export const TOKEN_SUBPROTOCOL_PREFIX = "token.";

/** API Gateway's limits: 32 KB per frame, 128 KB per message. */
export const MAX_FRAME_BYTES = 32 * 1024;
export const MAX_TOPICS_PER_REQUEST = 50;

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
 */
export const HTTP_ONLY_ERROR_CODES = ["UNAUTHORIZED", "NOT_FOUND", "NOT_YET", "CONFLICT", "SESSION_ENDED", "TOKEN_ALREADY_RENEWED"] as const;
export type ApiErrorCode = ErrorCode | (typeof HTTP_ONLY_ERROR_CODES)[number];

/**
 * Starts the message of the last RATE_LIMITED frame before the server closes
 * an abusive connection: API Gateway's DeleteConnection cannot send close code
 * 1008, so the frame says it. A client must not reconnect at once after it.
 */
export const POLICY_VIOLATION_PREFIX = "policy violation (1008)";

export const MESSAGE_KINDS = ["score-update", "queue-position", "result-ready"] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

// ---- client -> server ------------------------------------------------------

const requestId = z.string().min(1).max(64);
const topicList = z.array(z.string().max(200)).min(1).max(MAX_TOPICS_PER_REQUEST);

export const SubscribeFrame = z.strictObject({ action: z.literal("subscribe"), id: requestId, topics: topicList });
export const UnsubscribeFrame = z.strictObject({ action: z.literal("unsubscribe"), id: requestId, topics: topicList });
export const PingFrame = z.strictObject({ action: z.literal("ping"), id: requestId });
export const ClientFrame = z.discriminatedUnion("action", [SubscribeFrame, UnsubscribeFrame, PingFrame]);

export type SubscribeFrame = z.infer<typeof SubscribeFrame>;
export type UnsubscribeFrame = z.infer<typeof UnsubscribeFrame>;
export type PingFrame = z.infer<typeof PingFrame>;
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ClientAction = ClientFrame["action"];

// ---- server -> client ------------------------------------------------------

export interface SubscribedTopic {
  topic: string;
  /** The topic's current seq (0 when nothing was published yet). */
  seq: number;
  /** Presigned GET of `snapshots/{topic}.json`; may 404 until the first publication. */
  snapshotUrl: string;
}

export interface SubscribedFrame {
  type: "subscribed";
  id: string;
  topics: SubscribedTopic[];
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
  clock?: string;
  lastPlay?: string;
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

/**
 * Parse one text frame from a client. Never throws: a frame that is not valid
 * protocol v1 comes back as the error frame to send, with the request id when
 * one could be read, so the caller can answer and keep the connection.
 */
export function parseClientFrame(text: string): { ok: true; frame: ClientFrame } | { ok: false; error: ErrorFrame } {
  if (Buffer.byteLength(text, "utf8") > MAX_FRAME_BYTES) {
    return { ok: false, error: errorFrame("TOO_LARGE", `frame is over ${MAX_FRAME_BYTES} bytes`) };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: errorFrame("BAD_REQUEST", "frame is not JSON; send a JSON object with an action") };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, error: errorFrame("BAD_REQUEST", "frame must be a JSON object with an action") };
  }
  const record = raw as Record<string, unknown>;
  const id = typeof record.id === "string" && record.id.length <= 64 ? record.id : undefined;
  if (record.action !== "subscribe" && record.action !== "unsubscribe" && record.action !== "ping") {
    const shown = typeof record.action === "string" ? `"${record.action.slice(0, 40)}"` : "missing";
    return {
      ok: false,
      error: errorFrame("UNKNOWN_ACTION", `action ${shown} is not one of subscribe, unsubscribe, ping`, id),
    };
  }
  const parsed = ClientFrame.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join(".") : "frame";
    return { ok: false, error: errorFrame("BAD_REQUEST", `${where}: ${issue?.message ?? "invalid"}`, id) };
  }
  return { ok: true, frame: parsed.data };
}

// ---- HTTP API bodies (issue 3, item 4) -------------------------------------

/** Every 4xx/5xx of the HTTP API. */
export interface HttpErrorBody {
  /**
   * Some codes carry facts to act on: NOT_YET has `peopleAhead` (a number, or null in the pre-queue);
   * RATE_LIMITED has `retryAfterSeconds` (also sent as the `Retry-After` header).
   */
  error: { code: ApiErrorCode; message: string; peopleAhead?: number | null; retryAfterSeconds?: number };
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
  topic: string;
  seq: number;
}
/** `PUT /queues/{eventId}` with `x-operator-key`: the queue as stored. */
export interface QueueResponse {
  eventId: string;
  name: string;
  opensAt: string;
  admitPerMinute: number | null;
  admissionTtlSeconds: number;
  saleUrl: string | null;
  topic: string;
  phase: QueuePhase;
  servingNumber: number;
  ticketsIssued: number;
}
export type PlaceStatus = "prequeue" | "waiting" | "admitted";
/** `POST /queues/{eventId}/join` and `GET /queues/{eventId}/me` with a fan token: the fan's one place. */
export interface JoinResponse {
  eventId: string;
  name: string;
  topic: string;
  opensAt: string;
  status: PlaceStatus;
  /** null in the pre-queue: tickets are drawn at opening. */
  ticket: number | null;
  servingNumber: number;
  /** null in the pre-queue; 0 once admitted. */
  peopleAhead: number | null;
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
  topic: string;
  seq: number;
  servingNumber: number;
}
/** `POST /jobs` with a fan token, body `{ kind: "contest-report" }`. */
export interface CreateJobResponse {
  jobId: string;
  /** Presigned GET of `results/{jobId}.json`, valid before the object exists (404 until then). */
  resultUrl: string;
  topic: string;
}
/** `GET /snapshots?topics=game/g1,queue/e1` with a fan token. */
export interface SnapshotsResponse {
  snapshots: { topic: string; url: string }[];
}

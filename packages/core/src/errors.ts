/**
 * The one error vocabulary of pushgate. Core throws `PushgateError` with a
 * protocol code; each edge maps it once: the WebSocket edge to an error frame,
 * the HTTP edge to a status and `{ "error": { "code", "message" } }`.
 * Anything that is not a PushgateError is a bug or an outage: the edges log it
 * and answer INTERNAL without its message or stack.
 */
import { errorFrame, HTTP_ONLY_ERROR_CODES, type ApiErrorCode, type ErrorCode, type ErrorFrame, type HttpErrorBody } from "./protocol";

export class PushgateError extends Error {
  override readonly name = "PushgateError";
  constructor(
    readonly code: ApiErrorCode,
    /** Safe to show a client: says what was wrong and what to do instead. */
    message: string,
    /** Machine-readable facts a client acts on (e.g. `peopleAhead` with NOT_YET), added to the HTTP error body. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const isPushgateError = (error: unknown): error is PushgateError => error instanceof PushgateError;

const HTTP_STATUS: Record<ApiErrorCode, number> = {
  BAD_REQUEST: 400,
  UNKNOWN_ACTION: 400,
  INVALID_TOPIC: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  NOT_YET: 409,
  CONFLICT: 409,
  SESSION_ENDED: 401,
  TOKEN_ALREADY_RENEWED: 401,
  CHALLENGE_REQUIRED: 428,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

const INTERNAL_MESSAGE = "internal error; retry shortly, and report it if it persists";

/**
 * HTTP edge: a status, the JSON error body and the headers it implies (a
 * RATE_LIMITED refusal's `retryAfterSeconds` is also `Retry-After`, which
 * HTTP clients and proxies honour without reading the body); never the
 * message of an unexpected error.
 */
export function toHttpError(error: unknown): { status: number; body: HttpErrorBody; headers: Record<string, string> } {
  if (isPushgateError(error)) {
    const retryAfter = error.details?.retryAfterSeconds;
    return {
      status: HTTP_STATUS[error.code],
      body: { error: { ...error.details, code: error.code, message: error.message } },
      headers: typeof retryAfter === "number" ? { "retry-after": String(retryAfter) } : {},
    };
  }
  return { status: 500, body: { error: { code: "INTERNAL", message: INTERNAL_MESSAGE } }, headers: {} };
}

/**
 * WebSocket edge: an error frame. The HTTP-only codes cannot reach a socket
 * through the protocol (auth happens once, at `$connect`), but if one does it
 * is shown as FORBIDDEN so the frame stays within protocol v1's codes.
 */
export function toErrorFrame(error: unknown, requestId?: string): ErrorFrame {
  if (isPushgateError(error)) {
    const code: ErrorCode = (HTTP_ONLY_ERROR_CODES as readonly string[]).includes(error.code) ? "FORBIDDEN" : (error.code as ErrorCode);
    return errorFrame(code, error.message, requestId);
  }
  return errorFrame("INTERNAL", INTERNAL_MESSAGE, requestId);
}

/**
 * The downstream a publication is pushed through (the Management API) is
 * throttling (429), failing (5xx) or unreachable, after the SDK's own retries,
 * or the circuit around it is open. Not a client's fault and not the
 * connection's: the publication is incomplete and its stream record is retried.
 */
export class GatewayUnavailableError extends Error {
  override readonly name = "GatewayUnavailableError";
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isGatewayUnavailable = (error: unknown): error is GatewayUnavailableError =>
  error instanceof GatewayUnavailableError || (error as { name?: string } | null)?.name === "CircuitOpenError";

/** A publication reached some subscribers but not all: the stream record is reported for retry. */
export class PublicationIncompleteError extends Error {
  override readonly name = "PublicationIncompleteError";
  constructor(
    readonly topic: string,
    readonly seq: number,
    /** Undefined when the fan-out stopped before it knew the rest (the deadline). */
    readonly undelivered: number | undefined,
    reason = "downstream unavailable",
  ) {
    super(
      `${topic} seq ${seq}: ${undelivered ?? "some"} subscriber(s) not reached (${reason}); the record is retried and only they are pushed again by this instance`,
    );
  }
}

import type { ErrorCode } from "@pushgate/core/wire";

/** What went wrong on the client's side of the wire. */
export type ClientErrorCode =
  /** `POST /session` failed or answered something that is not a token. */
  | "SESSION_FAILED"
  /** The socket closed before it opened: refused (401), unreachable, or no `pushgate.v1` answer. */
  | "HANDSHAKE_FAILED"
  /** The socket neither opened nor failed within `connectTimeoutMs` (a black-holed network). */
  | "HANDSHAKE_TIMEOUT"
  /** An open socket closed. */
  | "SOCKET_CLOSED"
  /** No pong within `pongTimeoutMs` of a ping: the socket is dead even if the OS has not noticed. */
  | "PONG_TIMEOUT"
  /** A subscribe got no answer within `requestTimeoutMs`; it is sent again with backoff. */
  | "REQUEST_TIMEOUT"
  /** The server sent a frame that is not protocol v1 (the frame is dropped, the socket kept). */
  | "BAD_FRAME"
  /** A snapshot GET failed (network, 5xx, or a body that is not a message frame). */
  | "SNAPSHOT_FAILED"
  /** `GET /snapshots` (fresh presigned URLs) failed. */
  | "SNAPSHOT_URLS_FAILED";

/**
 * Every failure the client reports, as data: the client never throws into the
 * app, it emits one of these on the `error` event and carries on.
 * `origin: "server"` means the server sent an error frame (its protocol code).
 */
export interface PushClientError {
  origin: "client" | "server";
  code: ClientErrorCode | ErrorCode;
  message: string;
  /** The topic concerned, when there is one. */
  topic?: string;
  /** The request id of the frame the server answered, when there is one. */
  requestId?: string;
  /** HTTP status or WebSocket close code, when there is one. */
  status?: number;
  /** The underlying exception, when there is one. */
  cause?: unknown;
}

export function clientError(
  code: ClientErrorCode,
  message: string,
  extra: Omit<PushClientError, "origin" | "code" | "message"> = {},
): PushClientError {
  return { origin: "client", code, message, ...extra };
}

export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

import type { IncomingMessage } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

/**
 * Answers an upgrade request with a plain HTTP error instead of a WebSocket.
 * A `ws` client reports it as "Unexpected server response: <status>"; a
 * browser only sees close code 1006, exactly as with API Gateway.
 */
export function rejectHandshake(socket: Duplex, status: number, body: string, contentType = "application/json"): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const reason = STATUS_CODES[status] ?? "Error";
  socket.once("finish", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      `Connection: close\r\n` +
      `Content-Type: ${contentType}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `\r\n` +
      body,
  );
}

/**
 * Whether the request is a WebSocket handshake `ws` will accept. Checked
 * before $connect runs, so a handler never records a connection that the
 * upgrade then refuses.
 */
export function isValidHandshake(request: IncomingMessage): boolean {
  const key = request.headers["sec-websocket-key"];
  const version = request.headers["sec-websocket-version"];
  return (
    request.method === "GET" &&
    (request.headers.upgrade ?? "").toLowerCase() === "websocket" &&
    typeof key === "string" &&
    /^[+/0-9A-Za-z]{22}==$/.test(key) &&
    (version === "13" || version === "8")
  );
}

/** How a $connect integration answered: its status, and the subprotocol it picked. */
export interface ConnectDecision {
  status: number;
  body: string;
  subprotocol: string | undefined;
}

/** A result without a statusCode (or no result) is a success, as for API Gateway's Lambda proxy. */
export function interpretConnectResult(result: unknown): ConnectDecision {
  if (typeof result !== "object" || result === null) return { status: 200, body: "", subprotocol: undefined };
  const record = result as { statusCode?: unknown; body?: unknown; headers?: unknown };
  const status = typeof record.statusCode === "number" ? record.statusCode : 200;
  const body = typeof record.body === "string" ? record.body : "";
  let subprotocol: string | undefined;
  if (typeof record.headers === "object" && record.headers !== null) {
    for (const [name, value] of Object.entries(record.headers)) {
      if (name.toLowerCase() === "sec-websocket-protocol" && typeof value === "string") subprotocol = value;
    }
  }
  return { status, body, subprotocol };
}

/** A route response: a string, or an object's string `body`; anything else is dropped. */
export function routeResponseBody(result: unknown): string | undefined {
  if (typeof result === "string") return result;
  if (typeof result === "object" && result !== null && typeof (result as { body?: unknown }).body === "string") {
    return (result as { body: string }).body;
  }
  return undefined;
}

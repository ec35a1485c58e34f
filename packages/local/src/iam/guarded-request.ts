/**
 * The part every IAM-guarded emulator shares: turn an incoming HTTP request
 * into what SigV4 verification needs, and pass an allowed one on to the
 * emulator behind (DynamoDB Local's jar, s3rver), streaming its answer back.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import type { ReceivedRequest } from "./sigv4";

export function receivedRequest(request: IncomingMessage, body: Buffer): ReceivedRequest {
  const url = request.url ?? "/";
  const mark = url.indexOf("?");
  return {
    method: request.method ?? "GET",
    path: mark < 0 ? url : url.slice(0, mark),
    query: mark < 0 ? "" : url.slice(mark + 1),
    headers: request.headers,
    body,
  };
}

export interface Upstream {
  port: number;
  path: string;
  headers: OutgoingHttpHeaders;
  body: Buffer;
  /** Inspect the upstream answer before it is streamed back; return true when it was answered here instead. */
  intercept?: (upstream: IncomingMessage) => boolean;
  /** Headers set on the answer, over the upstream's own. */
  answerHeaders?: Record<string, string>;
}

/**
 * Forwards to 127.0.0.1:port. When the emulator behind is down (a DynamoDB
 * Local restart), the caller's socket is cut, which SDK clients treat as a
 * retryable network error, as they would a real endpoint's.
 */
export function forward(request: IncomingMessage, response: ServerResponse, upstream: Upstream): void {
  const outgoing = httpRequest(
    {
      host: "127.0.0.1",
      port: upstream.port,
      method: request.method,
      path: upstream.path,
      headers: { ...upstream.headers, "content-length": upstream.body.length },
    },
    (answer) => {
      if (upstream.intercept?.(answer)) return void answer.resume();
      response.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...upstream.answerHeaders });
      answer.pipe(response);
    },
  );
  outgoing.on("error", () => response.destroy());
  outgoing.end(upstream.body);
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { CLIENT_BUFFER_FULL } from "@pushgate/core/adapters/management-api-outcomes";
import type { Clock, Log } from "../invoke";
import { readBody } from "../http-server";
import { sendAwsError } from "./aws-error";
import type { GatewayConnection } from "./connection";
import { newRequestId } from "./ids";
import { TokenBucket } from "./token-bucket";

export interface ManagementApiOptions {
  stage: string;
  connections: ReadonlyMap<string, GatewayConnection>;
  maxPostBytes: number;
  maxBufferedBytes: number;
  slowReaderCloseMs: number;
  managementRatePerSecond?: number;
  clock: Clock;
  log: Log;
}

/** The close DeleteConnection sends; AWS does not document its code, so this is our choice. */
export const DELETE_CONNECTION_CLOSE = { code: 1000, reason: "Connection deleted by DeleteConnection" } as const;

const PATH = /^\/([^/]+)\/@connections\/([^/?]+)$/;

/**
 * The API Gateway Management API: `POST|GET|DELETE /{stage}/@connections/{id}`.
 *
 * Signatures are not verified, but a SigV4 Authorization header (or a
 * presigned X-Amz-Signature) must be present: an unsigned call would fail on
 * AWS, so it fails here too (403 "Missing Authentication Token"), while any
 * dummy credentials work.
 */
export function createManagementApi(options: ManagementApiOptions) {
  const { connections, log, clock } = options;
  const throttle = options.managementRatePerSecond
    ? new TokenBucket(options.managementRatePerSecond, options.managementRatePerSecond, clock)
    : undefined;

  return async function handleManagementRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    response.setHeader("x-amzn-RequestId", requestId);
    const url = new URL(request.url ?? "/", "http://localhost");
    const match = PATH.exec(url.pathname);
    if (!match || match[1] !== options.stage || !["GET", "POST", "DELETE"].includes(request.method ?? "")) {
      request.resume();
      return sendAwsError(response, 403, "ForbiddenException", "Missing Authentication Token");
    }
    const signed = /^AWS4-HMAC-SHA256 /.test(request.headers.authorization ?? "") || url.searchParams.has("X-Amz-Signature");
    if (!signed) {
      request.resume();
      return sendAwsError(response, 403, "ForbiddenException", "Missing Authentication Token");
    }
    if (throttle && !throttle.tryTake()) {
      request.resume();
      log("debug", `@connections throttled ${request.method} (limit ${options.managementRatePerSecond}/s)`);
      return sendAwsError(response, 429, "LimitExceededException", "Too Many Requests");
    }

    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[2]!);
    } catch {
      request.resume();
      return sendAwsError(response, 400, "BadRequestException", "Invalid connection id; URL-encode it");
    }
    const connection = connections.get(connectionId);

    if (request.method === "POST") {
      const body = await readBody(request, options.maxPostBytes);
      if (body === "too large") {
        return sendAwsError(response, 413, "PayloadTooLargeException", `Request Too Long: the limit is ${options.maxPostBytes} bytes; send less or point the client at a snapshot`);
      }
      if (!connection?.isOpen) return gone(response, connectionId);
      // Accepted without waiting for the reader, as on AWS: one client that
      // stopped reading must not hold up the caller (a whole fan-out).
      if (connection.offer(body) === "full") {
        log("debug", `PostToConnection to ${connectionId} refused with 429: ${connection.unsentBytes} bytes unsent (limit ${options.maxBufferedBytes})`);
        return sendAwsError(
          response,
          429,
          "LimitExceededException",
          `${CLIENT_BUFFER_FULL}: connection ${connectionId} has ${connection.unsentBytes} bytes it has not read (limit ${options.maxBufferedBytes}). ` +
            `Drop this push for it rather than retry; the gateway closes the connection if it stays full for ${options.slowReaderCloseMs} ms`,
        );
      }
      response.writeHead(200, { "Content-Length": 0 });
      return void response.end();
    }

    request.resume();
    if (!connection?.isOpen) return gone(response, connectionId);
    if (request.method === "GET") {
      const info = connection.info();
      const body = JSON.stringify({
        connectedAt: new Date(info.connectedAt).toISOString(),
        lastActiveAt: new Date(info.lastActiveAt).toISOString(),
        identity: { sourceIp: info.sourceIp, userAgent: info.userAgent },
      });
      response.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      return void response.end(body);
    }
    connection.close(DELETE_CONNECTION_CLOSE.code, DELETE_CONNECTION_CLOSE.reason);
    response.writeHead(204);
    response.end();
  };
}

function gone(response: ServerResponse, connectionId: string) {
  sendAwsError(response, 410, "GoneException", `Connection ${connectionId} is gone; delete it from your connection and subscription tables`);
}


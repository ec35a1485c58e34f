import type { IncomingMessage, ServerResponse } from "node:http";
import { CLIENT_BUFFER_FULL } from "@pushgate/core/adapters/management-api-outcomes";
import type { Clock, Log } from "../invoke";
import { readBody } from "../http-server";
import { receivedRequest } from "../iam/guarded-request";
import type { ReceivedRequest } from "../iam/sigv4";
import { sendAwsError } from "./aws-error";
import type { GatewayConnection } from "./connection";
import { newRequestId } from "./ids";
import { TokenBucket } from "./token-bucket";

/** A refusal of a Management API call, as API Gateway answers it. */
export interface ManagementRefusal {
  status: number;
  errorType: string;
  message: string;
}

/**
 * Decides whether a signed call may touch a connection (the local cloud's IAM:
 * SigV4 verified, `execute-api:ManageConnections` authorized on the
 * connection's ARN). Undefined means allowed.
 */
export type ManagementAuthorizer = (request: ReceivedRequest, method: string, connectionId: string) => ManagementRefusal | undefined;

/** A standalone gateway (no IAM): any SigV4 signature passes, none fails, as "Missing Authentication Token". */
export const signaturePresent: ManagementAuthorizer = (request) =>
  request.headers.authorization?.startsWith("AWS4-HMAC-SHA256 ") || /(^|&)X-Amz-Signature=/.test(request.query)
    ? undefined
    : { status: 403, errorType: "ForbiddenException", message: "Missing Authentication Token" };

export interface ManagementApiOptions {
  stage: string;
  /** Default `signaturePresent`; the local cloud passes its IAM. */
  authorize?: ManagementAuthorizer;
  connections: ReadonlyMap<string, GatewayConnection>;
  maxPostBytes: number;
  maxBufferedBytes: number;
  slowReaderCloseMs: number;
  managementRatePerSecond?: number;
  clock: Clock;
  log: Log;
  /** Called for each PostToConnection the gateway accepted (a delivery), for `npm start`'s live status. */
  onDelivered?: () => void;
}

/** The close DeleteConnection sends; AWS does not document its code, so this is our choice. */
export const DELETE_CONNECTION_CLOSE = { code: 1000, reason: "Connection deleted by DeleteConnection" } as const;

const PATH = /^\/([^/]+)\/@connections\/([^/?]+)$/;

/**
 * The API Gateway Management API: `POST|GET|DELETE /{stage}/@connections/{id}`.
 *
 * Every call is authorized before it touches a connection (`authorize`): in
 * the local cloud, the signature is verified and the caller's role must allow
 * `execute-api:ManageConnections` on the connection, as on AWS. The body is
 * read first because SigV4 signs it.
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
    const body = await readBody(request, options.maxPostBytes);
    if (body === "too large") {
      return sendAwsError(
        response,
        413,
        "PayloadTooLargeException",
        `Request Too Long: the limit is ${options.maxPostBytes} bytes; send less or point the client at a snapshot`,
      );
    }
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[2]!);
    } catch {
      return sendAwsError(response, 400, "BadRequestException", "Invalid connection id; URL-encode it");
    }
    const refusal = (options.authorize ?? signaturePresent)(receivedRequest(request, body), request.method!, connectionId);
    if (refusal) return sendAwsError(response, refusal.status, refusal.errorType, refusal.message);
    if (throttle && !throttle.tryTake()) {
      request.resume();
      log("debug", `@connections throttled ${request.method} (limit ${options.managementRatePerSecond}/s)`);
      return sendAwsError(response, 429, "LimitExceededException", "Too Many Requests");
    }

    const connection = connections.get(connectionId);

    if (request.method === "POST") {
      if (!connection?.isOpen) return gone(response, connectionId);
      // Accepted without waiting for the reader, as on AWS: one client that
      // stopped reading must not hold up the caller (a whole fan-out).
      if (connection.offer(body) === "full") {
        log(
          "debug",
          `PostToConnection to ${connectionId} refused with 429: ${connection.unsentBytes} bytes unsent (limit ${options.maxBufferedBytes})`,
        );
        return sendAwsError(
          response,
          429,
          "LimitExceededException",
          `${CLIENT_BUFFER_FULL}: connection ${connectionId} has ${connection.unsentBytes} bytes it has not read (limit ${options.maxBufferedBytes}). ` +
            `Drop this push for it rather than retry; the gateway closes the connection if it stays full for ${options.slowReaderCloseMs} ms`,
        );
      }
      options.onDelivered?.();
      response.writeHead(200, { "Content-Length": 0 });
      return void response.end();
    }

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
  sendAwsError(
    response,
    410,
    "GoneException",
    `Connection ${connectionId} is gone; delete it from your connection and subscription tables`,
  );
}

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock, Log } from "../invoke";
import { readBody } from "../http-server";
import { receivedRequest } from "../iam/guarded-request";
import type { ReceivedRequest } from "../iam/sigv4";
import { sendAwsError } from "./aws-error";
import { newRequestId } from "./ids";
import type { ManagementCall, ManagementOutcome } from "./management-calls";
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
  /** Applies an authorized call where the connection's socket is (this process or a socket holder). */
  apply: (call: ManagementCall) => ManagementOutcome | Promise<ManagementOutcome>;
  maxPostBytes: number;
  managementRatePerSecond?: number;
  clock: Clock;
  log: Log;
  /** Called for each PostToConnection the gateway accepted (a delivery), for `npm start`'s live status. */
  onDelivered?: () => void;
}

const PATH = /^\/([^/]+)\/@connections\/([^/?]+)$/;

/**
 * The API Gateway Management API: `POST|GET|DELETE /{stage}/@connections/{id}`.
 *
 * Every call is authorized before it touches a connection (`authorize`): in
 * the local cloud, the signature is verified and the caller's role must allow
 * `execute-api:ManageConnections` on the connection, as on AWS. The body is
 * read first because SigV4 signs it. What the call then does to the
 * connection is management-calls.ts, applied by `apply`.
 */
export function createManagementApi(options: ManagementApiOptions) {
  const { log, clock } = options;
  const throttle = options.managementRatePerSecond
    ? new TokenBucket(options.managementRatePerSecond, options.managementRatePerSecond, clock)
    : undefined;

  return async function handleManagementRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    response.setHeader("x-amzn-RequestId", requestId);
    const url = new URL(request.url ?? "/", "http://localhost");
    const match = PATH.exec(url.pathname);
    const method = request.method ?? "";
    if (!match || match[1] !== options.stage || !isManagementMethod(method)) {
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
    const refusal = (options.authorize ?? signaturePresent)(receivedRequest(request, body), method, connectionId);
    if (refusal) return sendAwsError(response, refusal.status, refusal.errorType, refusal.message);
    if (throttle && !throttle.tryTake()) {
      request.resume();
      log("debug", `@connections throttled ${method} (limit ${options.managementRatePerSecond}/s)`);
      return sendAwsError(response, 429, "LimitExceededException", "Too Many Requests");
    }

    const outcome = await options.apply({ method, connectionId, body });
    if (outcome.errorType !== undefined) return sendAwsError(response, outcome.status, outcome.errorType, outcome.message ?? "");
    if (method === "POST") options.onDelivered?.();
    if (outcome.json !== undefined) {
      response.writeHead(outcome.status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(outcome.json) });
      return void response.end(outcome.json);
    }
    response.writeHead(outcome.status, outcome.status === 204 ? {} : { "Content-Length": 0 });
    response.end();
  };
}

const isManagementMethod = (method: string): method is ManagementCall["method"] => ["GET", "POST", "DELETE"].includes(method);

/**
 * The rules of the Management API's three calls applied to one connection
 * (PostToConnection, GetConnection, DeleteConnection), apart from HTTP and
 * IAM: the in-process gateway applies them where its sockets are, and so does
 * a socket holder process (socket-holder-process.ts), so both answer alike.
 */
import { CLIENT_BUFFER_FULL } from "@pushgate/core/adapters/management-api-outcomes";
import type { Log } from "../log";
import type { GatewayConnection } from "./connection";
import type { GatewayLimits } from "./limits";

/** An authorized call on one connection: what crosses to wherever the connection's socket is. */
export interface ManagementCall {
  method: "POST" | "GET" | "DELETE";
  connectionId: string;
  /** POST's payload, the bytes the caller sent. */
  body: Buffer;
}

/** How API Gateway answers a call: a status, an error type and message, or a JSON body (GET). */
export interface ManagementOutcome {
  status: number;
  errorType?: string;
  message?: string;
  json?: string;
}

/** The close DeleteConnection sends; AWS does not document its code, so this is our choice. */
export const DELETE_CONNECTION_CLOSE = { code: 1000, reason: "Connection deleted by DeleteConnection" } as const;

export type ManagementRules = Pick<GatewayLimits, "maxBufferedBytes" | "slowReaderCloseMs">;

/** 410 GoneException: the connection is not (or no longer) open. */
export function goneOutcome(connectionId: string): ManagementOutcome {
  return {
    status: 410,
    errorType: "GoneException",
    message: `Connection ${connectionId} is gone; delete it from your connection and subscription tables`,
  };
}

/** Applies a call to the connection it names (undefined: not here), as API Gateway would. */
export function applyManagementCall(
  connection: GatewayConnection | undefined,
  call: ManagementCall,
  rules: ManagementRules,
  log: Log,
): ManagementOutcome {
  const { connectionId } = call;
  if (!connection?.isOpen) return goneOutcome(connectionId);
  if (call.method === "POST") {
    // Accepted without waiting for the reader, as on AWS: one client that
    // stopped reading must not hold up the caller (a whole fan-out).
    if (connection.offer(call.body) === "full") {
      log(
        "debug",
        `PostToConnection to ${connectionId} refused with 429: ${connection.unsentBytes} bytes unsent (limit ${rules.maxBufferedBytes})`,
      );
      return {
        status: 429,
        errorType: "LimitExceededException",
        message:
          `${CLIENT_BUFFER_FULL}: connection ${connectionId} has ${connection.unsentBytes} bytes it has not read (limit ${rules.maxBufferedBytes}). ` +
          `Drop this push for it rather than retry; the gateway closes the connection if it stays full for ${rules.slowReaderCloseMs} ms`,
      };
    }
    return { status: 200 };
  }
  if (call.method === "GET") {
    const info = connection.info();
    const json = JSON.stringify({
      connectedAt: new Date(info.connectedAt).toISOString(),
      lastActiveAt: new Date(info.lastActiveAt).toISOString(),
      identity: { sourceIp: info.sourceIp, userAgent: info.userAgent },
    });
    return { status: 200, json };
  }
  connection.close(DELETE_CONNECTION_CLOSE.code, DELETE_CONNECTION_CLOSE.reason);
  return { status: 204 };
}

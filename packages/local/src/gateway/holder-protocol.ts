/**
 * What crosses the IPC channel between the gateway's front (the local-cloud
 * process: the port, $connect, routes, $disconnect, the Management API's HTTP
 * side) and a socket holder process (the sockets after $connect accepted).
 * One declaration for both ends.
 *
 * Bytes travel as base64: Node's default IPC serialization is JSON.
 */
import type { LogLevel } from "../log";
import type { ConnectionFacts } from "./events";
import type { GatewayLimits } from "./limits";
import type { ManagementCall, ManagementOutcome } from "./management-calls";

/** What the holder needs of the upgrade request to complete the handshake (ws reads method, url and headers). */
export interface HandedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** The holder's configuration, its one command-line argument (JSON). */
export interface HolderSettings {
  limits: GatewayLimits;
}

export type FrontToHolder =
  /** Sent with the socket's handle: complete the handshake and keep the connection. */
  | { type: "adopt"; facts: ConnectionFacts; request: HandedRequest; head: string; subprotocol: string | undefined }
  | { type: "answer"; connectionId: string; text: string }
  | { type: "manage"; requestId: number; call: Omit<ManagementCall, "body"> & { body: string } }
  /** Close every socket with 1001 (stop()); answered with "closed-all" after every "closed". */
  | { type: "close-all"; requestId: number; graceMs: number };

export type HolderToFront =
  | { type: "ready" }
  | { type: "message"; connectionId: string; text: string }
  | { type: "closed"; connectionId: string; code: number; reason: string }
  | { type: "managed"; requestId: number; outcome: ManagementOutcome }
  | { type: "closed-all"; requestId: number }
  | { type: "log"; level: LogLevel; message: string };

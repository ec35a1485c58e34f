/**
 * The messages between the invoker's side of a worker sandbox
 * (worker-sandbox.ts) and the runtime inside it (sandbox-runtime.ts). Events
 * and results cross by structured clone; errors as their name, message and
 * stack (what Lambda reports as errorType, errorMessage and trace).
 */
import type { InvocationRequest, SandboxFault } from "./sandbox";

/** What the worker is started with (its workerData). */
export interface SandboxWorkerData {
  /** file: URL of the handler's bundle. */
  bundleUrl: string;
  /** FunctionDecl.handler, to pick the export and name it in errors. */
  handler: string;
  /** The handler's source file, for error messages. */
  sourceFile: string;
}

export interface InvokeMessage {
  type: "invoke";
  event: unknown;
  request: InvocationRequest;
}

/** Drop an invocation whose handler has not started (Sandbox.cancel). */
export interface CancelMessage {
  type: "cancel";
  requestId: string;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export type RuntimeMessage =
  /** The handler's module has loaded, or failed to (the end of the init phase). */
  | { type: "initialized" }
  | { type: "result"; requestId: string; ok: true; result: unknown }
  | { type: "result"; requestId: string; ok: false; error: SerializedError; fault?: SandboxFault }
  /** Escaped every handler; requestId is the invocation whose async work it came from, when known. */
  | { type: "fault"; fault: SandboxFault; requestId?: string; error: SerializedError };

export function serializeError(thrown: unknown): SerializedError {
  if (thrown instanceof Error)
    return { name: thrown.name, message: thrown.message, ...(thrown.stack !== undefined && { stack: thrown.stack }) };
  let message: string;
  try {
    message = typeof thrown === "string" ? thrown : (JSON.stringify(thrown) ?? String(thrown));
  } catch {
    message = String(thrown);
  }
  return { name: "Error", message };
}

export function deserializeError(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  error.stack = serialized.stack ?? `${serialized.name}: ${serialized.message}`;
  return error;
}

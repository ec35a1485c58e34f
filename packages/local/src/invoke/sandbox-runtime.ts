/**
 * The runtime inside one function's worker thread, the part of Lambda's Node
 * runtime pushgate needs: import the handler's bundle once (the cold start),
 * then run each invocation it is sent with a Lambda context and answer with
 * the result or the error. A rejection or exception that escapes every
 * handler is reported (with the invocation it came from) instead of killing
 * the thread, so the invoker can fail that invocation and discard the sandbox.
 *
 * Bundled by handler-loader.ts and started as a Worker; never imported by the
 * emulator itself.
 */
import { parentPort, workerData } from "node:worker_threads";
import { systemClock } from "./clock";
import { pickHandlerExport } from "./handler-module";
import { invocationDeadline, TIMED_OUT_DURING_INIT } from "./init-phase";
import { parseHandlerRef } from "./handler-ref";
import { invocationScope } from "./invocation-scope";
import { createLambdaContext } from "./lambda-context";
import { runHandler } from "./run-handler";
import { serializeError, type CancelMessage, type InvokeMessage, type RuntimeMessage, type SandboxWorkerData } from "./sandbox-protocol";

const port = parentPort!;
const data = workerData as SandboxWorkerData;
// Stack traces of handler errors point at the TypeScript sources (the bundle carries inline source maps).
process.setSourceMapsEnabled(true);

const post = (message: RuntimeMessage) => port.postMessage(message);

const ref = parseHandlerRef(data.handler);
const initStartedAt = systemClock.now();
let initEndedAt: number | undefined;
const handlerReady = import(data.bundleUrl).then((module: Record<string, unknown>) => pickHandlerExport(module, ref, data.sourceFile));
// A failed import is reported per invocation below; without the catch it would also count as unhandled.
handlerReady
  .catch(() => {})
  .finally(() => {
    initEndedAt = systemClock.now();
    post({ type: "initialized" });
  });
/** Invocations the invoker gave up on during init: their handlers never run. */
const cancelled = new Set<string>();

process.on("unhandledRejection", (reason) => {
  const requestId = invocationScope.getStore()?.requestId;
  post({ type: "fault", fault: "unhandled-rejection", ...(requestId && { requestId }), error: serializeError(reason) });
});
process.on("uncaughtException", (error) => {
  const requestId = invocationScope.getStore()?.requestId;
  post({ type: "fault", fault: "uncaught-exception", ...(requestId && { requestId }), error: serializeError(error) });
});

port.on("message", async (message: InvokeMessage | CancelMessage) => {
  if (message.type === "cancel") {
    cancelled.add(message.requestId);
    return;
  }
  const { event, request } = message;
  const requestId = request.awsRequestId;
  const invokedAt = systemClock.now();
  let handler;
  try {
    handler = await handlerReady;
  } catch (error) {
    post({ type: "result", requestId, ok: false, error: serializeError(error), fault: "init" });
    return;
  }
  if (cancelled.delete(requestId)) {
    post({ type: "result", requestId, ok: false, error: { name: "Error", message: TIMED_OUT_DURING_INIT } });
    return;
  }
  const deadline = invocationDeadline({
    invokedAt,
    initStartedAt,
    initEndedAt: initEndedAt ?? invokedAt,
    initLimitMs: request.initLimitMs,
    timeoutMs: request.timeoutMs,
  });
  const context = createLambdaContext({ ...request, clock: systemClock, deadline });
  try {
    const result = await invocationScope.run({ name: request.label, requestId }, () => runHandler(handler, event, context));
    try {
      post({ type: "result", requestId, ok: true, result });
    } catch (error) {
      // Lambda serializes the result too, and fails the invocation when it cannot.
      post({
        type: "result",
        requestId,
        ok: false,
        error: {
          name: "Runtime.MarshalError",
          message: `the handler's result cannot be sent back: ${serializeError(error).message}; return plain data`,
        },
      });
    }
  } catch (error) {
    post({ type: "result", requestId, ok: false, error: serializeError(error) });
  }
});

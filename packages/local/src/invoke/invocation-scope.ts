import { AsyncLocalStorage } from "node:async_hooks";
import { describeError, type Log } from "../log";

/** Which handler invocation the current async work belongs to. */
export interface InvocationScope {
  name: string;
  requestId: string;
}

/**
 * Carries the invocation through every promise and timer a handler starts, so
 * a rejection nobody awaited can be traced back to the function that made it.
 */
export const invocationScope = new AsyncLocalStorage<InvocationScope>();

const GUARD = Symbol.for("pushgate.local.handlerRejectionGuard");
interface GuardState {
  log: Log;
}

/**
 * For handlers run in the emulator's own process (inProcessSandboxes, the
 * emulators' unit tests; worker sandboxes report their own, see
 * sandbox-runtime.ts). On AWS an unhandled rejection crashes only that
 * function's sandbox; here the process is shared, and Node's default is to
 * exit, dropping every open WebSocket. So a rejection that started inside a
 * handler is logged with the function's name and the process carries on. A rejection
 * from outside any handler is a bug in the local cloud itself and keeps Node's
 * default (crash) unless someone else (a test runner) is listening.
 *
 * Installed once per process; later calls only swap the log.
 */
export function installHandlerRejectionGuard(log: Log): void {
  const holder = process as unknown as Record<symbol, GuardState | undefined>;
  const existing = holder[GUARD];
  if (existing) {
    existing.log = log;
    return;
  }
  const state: GuardState = { log };
  holder[GUARD] = state;
  const listener = (reason: unknown) => {
    const scope = invocationScope.getStore();
    if (scope) {
      state.log(
        "error",
        `${scope.name} (request ${scope.requestId}) left a promise rejection unhandled; the local cloud keeps running, but on AWS this crashes the function. Await or catch it: ${describeError(reason)}`,
      );
      return;
    }
    state.log(
      "error",
      `unhandled promise rejection outside any handler (a bug in the local cloud; please report it): ${describeError(reason)}`,
    );
    if (process.listenerCount("unhandledRejection") === 1) {
      // Nobody else handles it: restore Node's default of crashing loudly.
      process.exitCode = 1;
      setImmediate(() => {
        throw reason;
      });
    }
  };
  process.on("unhandledRejection", listener);
}

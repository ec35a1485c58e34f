/**
 * What a function runs in: the contract between the invoker (concurrency,
 * timeouts, logging, sandbox lifecycle) and the two places code can run, a
 * worker thread per function (worker-sandbox.ts, what the local cloud uses)
 * and the caller's own process (below; the emulators' unit tests hand the
 * invoker inline closures, which cannot cross into a worker).
 */
import type { FunctionDecl } from "@pushgate/core";
import { systemClock, type Clock } from "./clock";
import { invocationDeadline, TIMED_OUT_DURING_INIT } from "./init-phase";
import { createLambdaContext } from "./lambda-context";
import { invocationScope } from "./invocation-scope";
import { runHandler, type LambdaHandler } from "./run-handler";

/** The plain fields of one invocation's Lambda context (they cross into a worker by structured clone). */
export interface InvocationRequest {
  awsRequestId: string;
  functionName: string;
  memoryMB: number;
  /** The function's timeout: getRemainingTimeInMillis counts down from it. */
  timeoutMs: number;
  /** How much of the sandbox's module load is not counted in timeoutMs (init-phase.ts). */
  initLimitMs: number;
  region: string;
  accountId: string;
  /** For log lines inside the sandbox: the function, and the route or consumer. */
  label: string;
}

/**
 * Failures after which Lambda discards a sandbox: the module could not be
 * loaded, a rejection or exception escaped every handler, or the runtime died.
 */
export type SandboxFault = "init" | "unhandled-rejection" | "uncaught-exception" | "exit";

export type InvocationOutcome = { ok: true; result: unknown } | { ok: false; error: Error; fault?: SandboxFault };

export interface Sandbox {
  /** Resolves when the invocation has really ended (never rejects), however long after its timeout that is. */
  run(event: unknown, request: InvocationRequest): Promise<InvocationOutcome>;
  /**
   * Settles when the handler's module has loaded or failed to: the end of the
   * init phase, which the invoker does not count against timeouts (init-phase.ts).
   */
  readonly initialized: Promise<void>;
  /**
   * Drops an invocation whose handler has not started (it timed out during
   * init): Lambda never runs an event after answering its timeout. Its run()
   * resolves with a failure once the init ends.
   */
  cancel(requestId: string): void;
  /** Ends the sandbox; invocations still running resolve with a failure. */
  terminate(): Promise<void>;
}

/** A fault that came when no invocation was waiting for it (e.g. a rejection after the handler returned). */
export type FaultListener = (fault: SandboxFault, error: Error, requestId: string | undefined) => void;

export interface SandboxFactory {
  /**
   * Which build of fn's code a new invocation should run; awaited before every
   * invocation (cheap unless a rebuild is under way). A sandbox on another
   * version is retired. Throws when the code cannot be built.
   */
  codeVersion(fn: FunctionDecl): Promise<string>;
  /** A new sandbox running `version` of fn (its start may continue in the background). */
  create(fn: FunctionDecl, name: string, version: string, onFault: FaultListener): Sandbox;
  /** A retired sandbox on `version` has ended (hot reload may delete that build). */
  ended?(fn: FunctionDecl, version: string): void;
  close?(): void;
}

/** Resolves a declaration to its handler function, in this process. */
export type LoadHandler = (fn: FunctionDecl) => Promise<LambdaHandler>;

/**
 * Handlers in the caller's process: no isolation at all (one process.env,
 * one module graph). For unit tests of the gateway and HTTP API emulators,
 * whose handlers are closures; the local cloud never uses it. Code that
 * overruns its timeout cannot be stopped here, only forgotten on terminate().
 */
export function inProcessSandboxes(loadHandler: LoadHandler, clock: Clock = systemClock): SandboxFactory {
  return {
    codeVersion: async () => "in-process",
    create(fn) {
      const forgotten = new Set<(outcome: InvocationOutcome) => void>();
      const cancelled = new Set<string>();
      // Loaded once per sandbox, as Lambda loads the module once per execution environment.
      const initStartedAt = clock.now();
      let initEndedAt: number | undefined;
      const handlerReady = loadHandler(fn).finally(() => {
        initEndedAt = clock.now();
      });
      const initialized = handlerReady.then(
        () => {},
        () => {},
      );
      return {
        initialized,
        cancel: (requestId) => void cancelled.add(requestId),
        run(event, request) {
          const invokedAt = clock.now();
          return new Promise<InvocationOutcome>((resolve) => {
            forgotten.add(resolve);
            const settle = (outcome: InvocationOutcome) => {
              if (forgotten.delete(resolve)) resolve(outcome);
            };
            handlerReady.then(
              (handler) => {
                if (cancelled.delete(request.awsRequestId)) return settle({ ok: false, error: new Error(TIMED_OUT_DURING_INIT) });
                const deadline = invocationDeadline({
                  invokedAt,
                  initStartedAt,
                  initEndedAt: initEndedAt ?? invokedAt,
                  initLimitMs: request.initLimitMs,
                  timeoutMs: request.timeoutMs,
                });
                const context = createLambdaContext({ ...request, clock, deadline });
                const scope = { name: request.label, requestId: request.awsRequestId };
                invocationScope
                  .run(scope, () => runHandler(handler, event, context))
                  .then(
                    (result) => settle({ ok: true, result }),
                    (error: unknown) => settle({ ok: false, error: asError(error) }),
                  );
              },
              (error: unknown) => settle({ ok: false, error: asError(error), fault: "init" }),
            );
          });
        },
        async terminate() {
          for (const resolve of forgotten) resolve({ ok: false, error: new Error("the sandbox was discarded before the handler ended") });
          forgotten.clear();
        },
      };
    },
  };
}

/** Anything thrown, as an Error (Lambda reports errorType and errorMessage either way). */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  const error = new Error(typeof thrown === "string" ? thrown : (JSON.stringify(thrown) ?? String(thrown)));
  error.name = "Error";
  return error;
}

import type { Context } from "aws-lambda";
import type { FunctionDecl } from "@pushgate/core";
import { systemClock, systemTimers, type Clock, type Timers } from "./clock";
import { functionNameFor, parseHandlerRef } from "./handler-ref";
import { installHandlerRejectionGuard, invocationScope } from "./invocation-scope";
import { createLambdaContext } from "./lambda-context";
import { consoleLog, describeError, type Log } from "../log";

export type LambdaCallback = (error?: unknown, result?: unknown) => void;
export type LambdaHandler = (event: any, context: Context, callback: LambdaCallback) => unknown;

/** Resolves a declaration to its handler function (see handler-loader.ts and import-loader.ts). */
export type LoadHandler = (fn: FunctionDecl) => Promise<LambdaHandler>;

/**
 * Run a function on one event, like Lambda's Invoke: resolves with the
 * handler's result, rejects with its error or a FunctionTimeoutError. `name`
 * appears in logs (default: the handler path after `src/`, e.g. `ws/connect`).
 */
export type Invoke = (fn: FunctionDecl, event: unknown, name?: string) => Promise<unknown>;

export interface InvokerOptions {
  loadHandler: LoadHandler;
  /** Overrides every FunctionDecl.timeoutSeconds (tests use a few ms). */
  timeoutMs?: number;
  log?: Log;
  clock?: Clock;
  timers?: Timers;
  region?: string;
  accountId?: string;
  /**
   * Invocations of one function running at once; more wait their turn, and
   * their timeout starts when they run. Lambda gives every invocation its own
   * sandbox; here they share one process (and one SDK socket pool per client),
   * so 5,000 simultaneous $disconnects would all time out. Default 64.
   */
  maxConcurrencyPerFunction?: number;
}

/** The error a timed-out invocation rejects with; the message is AWS's own. */
export class FunctionTimeoutError extends Error {
  override name = "FunctionTimeoutError";
  constructor(
    readonly functionName: string,
    readonly timeoutMs: number,
  ) {
    super(
      `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds (${functionName}); make the handler finish sooner or raise timeoutSeconds in topology.ts`,
    );
  }
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";

/**
 * In-process Lambda. Every function runs in the emulator's own process, so a
 * handler's failure must stay a failed invocation: errors come back as a
 * rejected promise (and are logged with the function's name), and stray
 * rejections are caught by the process-wide guard.
 *
 * Unlike Lambda, a timed-out handler is not frozen: its promise keeps running
 * in the background, but its result is ignored.
 */
export function createInvoker(options: InvokerOptions): Invoke {
  const log = options.log ?? consoleLog;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "123456789012";
  installHandlerRejectionGuard(log);
  const maxConcurrency = options.maxConcurrencyPerFunction ?? 64;
  const limits = new Map<string, ConcurrencyLimit>();

  return async function invoke(fn, event, name) {
    const ref = parseHandlerRef(fn.handler);
    const shortName = name ?? ref.name;
    const functionName = functionNameFor(shortName);
    const timeoutMs = options.timeoutMs ?? fn.timeoutSeconds * 1000;

    let handler: LambdaHandler;
    try {
      handler = await options.loadHandler(fn);
    } catch (error) {
      log("error", `${shortName} could not be loaded: ${describeError(error)}`);
      throw error;
    }
    let limit = limits.get(fn.handler);
    if (!limit) limits.set(fn.handler, (limit = new ConcurrencyLimit(maxConcurrency)));
    await limit.acquire();
    const context = createLambdaContext({ functionName, memoryMB: fn.memoryMB, timeoutMs, clock, region, accountId });
    const scope = { name: shortName, requestId: context.awsRequestId };

    try {
      return await invocationScope.run(scope, () => runHandler(handler, event, context, timeoutMs, timers, shortName));
    } catch (error) {
      log("error", `${shortName} (request ${context.awsRequestId}) failed: ${describeError(error)}`);
      throw error;
    } finally {
      limit.release();
    }
  };
}

/** A counting semaphore: at most `max` holders, the rest served in arrival order. */
class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async acquire(): Promise<void> {
    if (this.running < this.max) {
      this.running += 1;
      return;
    }
    // The releasing holder hands its slot over directly, so running stays at max.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}

function runHandler(
  handler: LambdaHandler,
  event: unknown,
  context: Context,
  timeoutMs: number,
  timers: Timers,
  shortName: string,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = timers.setTimeout(() => finish(() => reject(new FunctionTimeoutError(shortName, timeoutMs))), timeoutMs);
    function finish(settle: () => void) {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      settle();
    }
    // Callback-style handlers (three parameters) answer through the callback.
    const callback: LambdaCallback = (error, result) =>
      finish(() => (error === undefined || error === null ? resolve(result) : reject(error)));
    let returned: unknown;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      finish(() => reject(error));
      return;
    }
    if (isPromiseLike(returned)) {
      returned.then(
        (result) => finish(() => resolve(result)),
        (error: unknown) => finish(() => reject(error)),
      );
    } else if (handler.length < 3) {
      finish(() => resolve(returned));
    }
  });
}

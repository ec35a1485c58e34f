/**
 * Local Lambda Invoke: one event to one function, resolving with its result
 * or rejecting with its error or a FunctionTimeoutError. Owns what Lambda's
 * service does around the code: the per-function concurrency bound, the
 * timeout, the sandbox lifecycle (a sandbox that timed out or crashed is
 * discarded; a function may have several, each taking one invocation at a
 * time as a Lambda execution environment does, up to its pool size) and one
 * log line per failure. Where the code runs is a SandboxFactory's business
 * (sandbox.ts).
 */
import { randomUUID } from "node:crypto";
import type { FunctionDecl } from "@pushgate/core";
import { systemClock, systemTimers, type Clock, type TimerHandle, type Timers } from "./clock";
import { functionNameFor, parseHandlerRef } from "./handler-ref";
import { countingStartsAt, INIT_LIMIT_MS } from "./init-phase";
import { installHandlerRejectionGuard } from "./invocation-scope";
import {
  inProcessSandboxes,
  type InvocationOutcome,
  type LoadHandler,
  type Sandbox,
  type SandboxFactory,
  type SandboxFault,
} from "./sandbox";
import { createWorkerSandboxes, type EnvironmentFor } from "./worker-sandbox";
import type { HandlerBundler } from "./handler-loader";
import { consoleLog, describeError, type Log } from "../log";

export type { LambdaCallback, LambdaHandler } from "./run-handler";
export type { LoadHandler } from "./sandbox";

/**
 * Run a function on one event. `name` is the route or consumer that invoked
 * it, for logs (default: the handler path after `src/`, e.g. `ws/connect`).
 */
export type Invoke = (fn: FunctionDecl, event: unknown, name?: string) => Promise<unknown>;

export interface Invoker extends Invoke {
  /** Ends every sandbox; later invocations are refused. */
  close(): Promise<void>;
}

export interface InvokerOptions {
  /**
   * Run each function in its own worker thread (what the local cloud does),
   * with the handlers bundled by this bundler.
   */
  bundler?: HandlerBundler;
  /**
   * The environment of a function's sandbox (only that: not this process's
   * process.env). Called once per sandbox, with the first route or consumer
   * that invoked it. Default: none.
   */
  environmentFor?: EnvironmentFor;
  /** Run handlers in this process instead (tests of the emulators that pass closures); ignored with `bundler`. */
  loadHandler?: LoadHandler;
  /** Or any other place to run code. */
  sandboxes?: SandboxFactory;
  /** Overrides every FunctionDecl.timeoutSeconds (tests use a few ms). */
  timeoutMs?: number;
  /**
   * How much of a sandbox's start (its module load) no invocation's timeout
   * counts; the rest of a longer load counts. Default Lambda's 10 s (init-phase.ts).
   */
  initLimitMs?: number;
  /**
   * How long a sandbox discarded after a timeout or crash may go on serving
   * the invocations it already has before it is ended anyway. Default: the
   * function's timeout (by then each of them has answered or timed out).
   */
  sandboxGraceMs?: number;
  log?: Log;
  clock?: Clock;
  timers?: Timers;
  region?: string;
  accountId?: string;
  /**
   * Invocations of one function running at once; more wait their turn, and
   * their timeout starts when they run. Default 64.
   */
  maxConcurrencyPerFunction?: number;
  /**
   * Sandboxes a function may have at once. Lambda starts one execution
   * environment per concurrent invocation; here an invocation gets an idle
   * sandbox, or a new one while the function has fewer than this, and only
   * then shares the least busy one. A function whose instances keep state
   * the rest of the system counts on (the fan-out task worker's share of the
   * push budget) needs as many as it runs at once; others save the memory
   * and cold starts. Default 1: one sandbox serves every invocation.
   */
  sandboxesPerFunction?: (fn: FunctionDecl) => number;
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

/** One sandbox and what the invoker knows of it. */
interface SandboxEntry {
  sandbox: Sandbox;
  fn: FunctionDecl;
  label: string;
  version: string;
  /** Invocations in it that have not answered yet (a timed-out one has answered). */
  running: number;
  /** When its init (module load) began, and whether it has ended. */
  createdAt: number;
  initialized: boolean;
  /** Takes no new invocations; ends once `running` is 0 or the grace period is over. */
  retired: boolean;
  ended: boolean;
  graceTimer?: TimerHandle;
}

const FAULT_ADVICE: Record<SandboxFault, string> = {
  init: "could not be loaded",
  "unhandled-rejection":
    "left a promise rejection unhandled; on AWS this crashes the sandbox, so it is discarded here too. Await or catch it",
  "uncaught-exception":
    "threw outside the handler's promise (a timer or event callback); the sandbox is discarded, as on AWS. Catch it there",
  exit: "ended its sandbox (process.exit or out of memory); the next invocation gets a new one",
};

export function createInvoker(options: InvokerOptions): Invoker {
  const log = options.log ?? consoleLog;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "123456789012";
  const maxConcurrency = options.maxConcurrencyPerFunction ?? 64;
  const initLimitMs = options.initLimitMs ?? INIT_LIMIT_MS;
  const factory = pickFactory(options, clock, log);
  const limits = new Map<string, ConcurrencyLimit>();
  /** The sandboxes new invocations of a function go to, by FunctionDecl.handler. */
  const current = new Map<string, SandboxEntry[]>();
  const poolSize = (fn: FunctionDecl) => Math.max(1, options.sandboxesPerFunction?.(fn) ?? 1);
  const leave = (entry: SandboxEntry) => {
    const pool = current.get(entry.fn.handler);
    const at = pool?.indexOf(entry) ?? -1;
    if (at >= 0) pool!.splice(at, 1);
  };
  const retired = new Set<SandboxEntry>();
  let closed = false;

  function retire(entry: SandboxEntry, graceMs: number) {
    if (entry.retired) return endIfIdle(entry);
    entry.retired = true;
    leave(entry);
    retired.add(entry);
    if (entry.running > 0) entry.graceTimer = timers.setTimeout(() => end(entry), graceMs);
    endIfIdle(entry);
  }

  function endIfIdle(entry: SandboxEntry) {
    if (entry.retired && entry.running === 0) end(entry);
  }

  function end(entry: SandboxEntry) {
    if (entry.ended) return;
    entry.ended = true;
    retired.delete(entry);
    leave(entry);
    if (entry.graceTimer !== undefined) timers.clearTimeout(entry.graceTimer);
    entry.sandbox.terminate().then(
      () => factory.ended?.(entry.fn, entry.version),
      (error: unknown) =>
        log("warn", `${entry.label}: ending its sandbox failed (${describeError(error)}); it may linger until the local cloud stops`),
    );
  }

  function sandboxFor(fn: FunctionDecl, label: string, name: string, version: string, graceMs: number): SandboxEntry {
    const pool = current.get(fn.handler) ?? [];
    // A rebuild: the old sandboxes finish what they have and end; open sockets never notice.
    for (const stale of pool.filter((entry) => entry.version !== version)) retire(stale, graceMs);
    const idle = pool.find((entry) => entry.running === 0);
    if (idle) return idle;
    if (pool.length >= poolSize(fn)) return pool.reduce((least, entry) => (entry.running < least.running ? entry : least));
    const entry: SandboxEntry = {
      fn,
      label,
      version,
      running: 0,
      retired: false,
      ended: false,
      createdAt: clock.now(),
      initialized: false,
      sandbox: undefined as unknown as Sandbox,
    };
    entry.sandbox = factory.create(fn, name, version, (fault, error, requestId) => {
      log("error", `${label}${requestId ? ` (request ${requestId})` : ""} ${FAULT_ADVICE[fault]}: ${describeError(error)}`);
      retire(entry, graceMs);
    });
    void entry.sandbox.initialized.then(() => {
      entry.initialized = true;
    });
    current.set(fn.handler, [...pool, entry]);
    return entry;
  }

  const invoke = async function invoke(fn: FunctionDecl, event: unknown, name?: string): Promise<unknown> {
    if (closed) throw new Error("the local cloud has stopped; start it again to invoke functions");
    const ref = parseHandlerRef(fn.handler);
    const routeName = name ?? ref.name;
    const label = routeName === ref.name ? ref.name : `${ref.name} (${routeName})`;
    const timeoutMs = options.timeoutMs ?? fn.timeoutSeconds * 1000;
    const graceMs = options.sandboxGraceMs ?? timeoutMs;

    let version: string;
    try {
      version = await factory.codeVersion(fn);
    } catch (error) {
      log("error", `${label} could not be loaded: ${describeError(error)}`);
      throw error;
    }
    let limit = limits.get(fn.handler);
    if (!limit) limits.set(fn.handler, (limit = new ConcurrencyLimit(maxConcurrency)));
    await limit.acquire();
    let entry: SandboxEntry;
    try {
      entry = sandboxFor(fn, label, routeName, version, graceMs);
    } catch (error) {
      limit.release();
      log("error", `${label}: no sandbox could be started: ${describeError(error)}`);
      throw error;
    }
    entry.running += 1;
    const awsRequestId = randomUUID();
    const request = {
      awsRequestId,
      functionName: functionNameFor(ref.name),
      memoryMB: fn.memoryMB,
      timeoutMs,
      initLimitMs,
      region,
      accountId,
      label,
    };
    const invokedAt = clock.now();
    const outcome = entry.sandbox.run(event, request);

    return new Promise((resolve, reject) => {
      let answered = false;
      let timer: TimerHandle | undefined;
      let initTimer: TimerHandle | undefined;
      const timedOut = () => {
        answered = true;
        entry.running -= 1;
        const error = new FunctionTimeoutError(label, timeoutMs);
        if (!entry.initialized) {
          // Its handler never ran: drop the event and keep the sandbox, whose
          // load goes on for the next invocation. Discarding it would start the
          // load over, and a load longer than init limit + timeout would then
          // never finish (the loop the benchmark hit at load 18).
          entry.sandbox.cancel(awsRequestId);
          log(
            "error",
            `${label} (request ${awsRequestId}) failed: ${error.message}; its sandbox spent it loading the handler (over the ${initLimitMs / 1000} s init limit), so the sandbox is kept for the next invocation; import less at module load if this repeats`,
          );
          reject(error);
          return;
        }
        log("error", `${label} (request ${awsRequestId}) failed: ${error.message}`);
        reject(error);
        // As Lambda does, the sandbox is not reused; the handler keeps its
        // concurrency slot (below) until it really ends.
        retire(entry, graceMs);
      };
      const startCounting = () => {
        if (answered || timer !== undefined) return;
        if (initTimer !== undefined) timers.clearTimeout(initTimer);
        timer = timers.setTimeout(timedOut, timeoutMs);
      };
      if (entry.initialized) startCounting();
      else {
        // Lambda's init phase: the load is free up to the init limit (init-phase.ts).
        const startsAt = countingStartsAt({ invokedAt, initStartedAt: entry.createdAt, initLimitMs });
        initTimer = timers.setTimeout(startCounting, startsAt - invokedAt);
        void entry.sandbox.initialized.then(startCounting);
      }

      void outcome.then((settled: InvocationOutcome) => {
        limit.release();
        if (answered) {
          // Ended after its timeout: its slot is free now; its result goes nowhere, as on Lambda.
          endIfIdle(entry);
          return;
        }
        answered = true;
        if (timer !== undefined) timers.clearTimeout(timer);
        if (initTimer !== undefined) timers.clearTimeout(initTimer);
        entry.running -= 1;
        if (settled.ok) {
          const statusCode = (settled.result as { statusCode?: unknown } | null)?.statusCode;
          if (typeof statusCode === "number" && statusCode >= 500) {
            log("error", `${label} (request ${awsRequestId}) answered statusCode ${statusCode}; the handler's own log says why`);
          }
          resolve(settled.result);
        } else {
          const what = settled.fault ? FAULT_ADVICE[settled.fault] : "failed";
          log("error", `${label} (request ${awsRequestId}) ${what}: ${describeError(settled.error)}`);
          reject(settled.error);
          if (settled.fault) retire(entry, graceMs);
        }
        endIfIdle(entry);
      });
    });
  } as Invoker;

  invoke.close = async () => {
    closed = true;
    for (const entry of [...[...current.values()].flat(), ...retired]) end(entry);
    factory.close?.();
  };
  return invoke;
}

function pickFactory(options: InvokerOptions, clock: Clock, log: Log): SandboxFactory {
  if (options.sandboxes) return options.sandboxes;
  if (options.bundler)
    return createWorkerSandboxes({ bundler: options.bundler, environmentFor: options.environmentFor ?? (() => ({})), log });
  if (options.loadHandler) {
    // In this process a stray rejection would end the whole process: log it instead.
    installHandlerRejectionGuard(log);
    return inProcessSandboxes(options.loadHandler, clock);
  }
  throw new Error("createInvoker needs a bundler (a worker per function), a loadHandler (in this process) or sandboxes");
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

/**
 * A worker thread per function: the invoker's side of the sandbox. Each one
 * has its own process.env (the function's environment, not the emulator's),
 * its own module graph (SDK clients built at cold start belong to one
 * function) and its own heap, capped at the function's memoryMB as Lambda
 * caps memory. A crash of the thread fails the invocations in it, never the
 * emulator.
 */
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { FunctionDecl } from "@pushgate/core";
import type { HandlerBundler } from "./handler-loader";
import { functionNameFor, parseHandlerRef } from "./handler-ref";
import type { FaultListener, InvocationOutcome, Sandbox, SandboxFactory } from "./sandbox";
import { deserializeError, type CancelMessage, type InvokeMessage, type RuntimeMessage, type SandboxWorkerData } from "./sandbox-protocol";
import type { Log } from "../log";

/** A function's environment; `name` is the route or consumer whose invocation started the sandbox. */
export type EnvironmentFor = (fn: FunctionDecl, name: string) => Record<string, string>;

export interface WorkerSandboxesOptions {
  bundler: HandlerBundler;
  environmentFor: EnvironmentFor;
  log: Log;
}

export function createWorkerSandboxes(options: WorkerSandboxesOptions): SandboxFactory {
  const { bundler } = options;
  /** Bundle file of each handler's current build, learnt in codeVersion. */
  const sourceFiles = new Map<string, string>();
  let runtimeFile: string | undefined;

  return {
    async codeVersion(fn) {
      const [bundle, runtime] = await Promise.all([bundler.bundle(fn), bundler.runtime()]);
      runtimeFile = runtime;
      sourceFiles.set(fn.handler, bundle.sourceFile);
      return bundle.file;
    },
    create(fn, name, version, onFault) {
      const ref = parseHandlerRef(fn.handler);
      const functionName = functionNameFor(ref.name);
      const env = {
        // What Lambda sets in every function; the function's own environment wins.
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMB),
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
        ...options.environmentFor(fn, name),
      };
      const workerData: SandboxWorkerData = {
        bundleUrl: pathToFileURL(version).href,
        handler: fn.handler,
        sourceFile: sourceFiles.get(fn.handler) ?? version,
      };
      return startWorkerSandbox({ runtimeFile: runtimeFile!, workerData, env, memoryMB: fn.memoryMB, onFault });
    },
    ended(_fn, version) {
      bundler.discard(version);
    },
  };
}

interface WorkerSandboxOptions {
  runtimeFile: string;
  workerData: SandboxWorkerData;
  env: Record<string, string>;
  memoryMB: number;
  onFault: FaultListener;
}

function startWorkerSandbox(options: WorkerSandboxOptions): Sandbox {
  const worker = new Worker(options.runtimeFile, {
    workerData: options.workerData,
    // The functions are declared for nodejs22.x, where the AWS SDK has no Node-version warning to give;
    // on an older local Node every sandbox would print it once, burying the handlers' own logs.
    env: { ...options.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    // Not the emulator's flags (tsx's loader, vitest's): the bundle is plain JavaScript.
    execArgv: [],
    // The young generation's default is sized for a whole process; 8 MB took the
    // warm local cloud from 725 to 676 MB RSS with no slower pings (bench/invoke-overhead.ts).
    resourceLimits: { maxOldGenerationSizeMb: options.memoryMB, maxYoungGenerationSizeMb: 8 },
  });
  // An idle sandbox must not keep a test run (or a stopped CLI) alive; a busy one must, like any pending I/O.
  worker.unref();
  const pending = new Map<string, (outcome: InvocationOutcome) => void>();
  let gone: Error | undefined;
  let terminating = false;
  let markInitialized!: () => void;
  const initialized = new Promise<void>((resolve) => {
    markInitialized = resolve;
  });

  const settle = (requestId: string, outcome: InvocationOutcome) => {
    const resolve = pending.get(requestId);
    if (!resolve) return false;
    pending.delete(requestId);
    if (pending.size === 0) worker.unref();
    resolve(outcome);
    return true;
  };
  const failAll = (error: Error, fault: "exit" | undefined) => {
    for (const resolve of pending.values()) resolve({ ok: false, error, ...(fault && { fault }) });
    pending.clear();
  };

  worker.on("message", (message: RuntimeMessage) => {
    if (message.type === "initialized") {
      markInitialized();
      return;
    }
    if (message.type === "result") {
      settle(
        message.requestId,
        message.ok ? message : { ok: false, error: deserializeError(message.error), ...(message.fault && { fault: message.fault }) },
      );
      return;
    }
    const error = deserializeError(message.error);
    const failed = message.requestId !== undefined && settle(message.requestId, { ok: false, error, fault: message.fault });
    if (!failed) options.onFault(message.fault, error, message.requestId);
  });
  worker.on("error", (error) => {
    // Out of memory, or the runtime itself failed: the thread is gone.
    gone = error;
    const advice =
      (error as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY"
        ? `; raise memoryMB (${options.memoryMB}) in topology.ts or use less`
        : "";
    const reported = new Error(`${error.message}${advice}`);
    reported.name = error.name;
    if (pending.size > 0) failAll(reported, "exit");
    else options.onFault("exit", reported, undefined);
  });
  worker.on("exit", (code) => {
    // A thread that died while loading has no init left to wait for.
    markInitialized();
    if (terminating) {
      gone ??= new Error("the sandbox was discarded");
      failAll(
        new Error("the sandbox was discarded (after a timeout or crash in it, or the local cloud stopped) before this invocation ended"),
        undefined,
      );
      return;
    }
    if (gone) return; // already reported by "error"
    gone = new Error(`the sandbox exited with code ${code}`);
    if (pending.size > 0) failAll(gone, "exit");
    else options.onFault("exit", gone, undefined);
  });

  return {
    initialized,
    cancel(requestId) {
      if (gone || !pending.has(requestId)) return;
      const message: CancelMessage = { type: "cancel", requestId };
      worker.postMessage(message);
    },
    run(event, request) {
      return new Promise<InvocationOutcome>((resolve) => {
        if (gone) {
          resolve({ ok: false, error: gone, fault: "exit" });
          return;
        }
        pending.set(request.awsRequestId, resolve);
        worker.ref();
        const message: InvokeMessage = { type: "invoke", event, request };
        try {
          worker.postMessage(message);
        } catch (error) {
          pending.delete(request.awsRequestId);
          if (pending.size === 0) worker.unref();
          const reason = error instanceof Error ? error.message : String(error);
          resolve({ ok: false, error: new Error(`the event cannot be passed to the function (${reason}); send plain data`) });
        }
      });
    },
    async terminate() {
      terminating = true;
      await worker.terminate();
    },
  };
}

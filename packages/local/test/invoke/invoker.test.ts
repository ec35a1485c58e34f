import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { FunctionDecl } from "@pushgate/core";
import { createInvoker, FunctionTimeoutError, type LambdaHandler } from "../../src/invoke";
import { collectingLog, FakeTime } from "./fake-time";

const decl = (handler = "packages/functions/src/ws/connect.handler", timeoutSeconds = 3): FunctionDecl => ({
  handler,
  timeoutSeconds,
  memoryMB: 256,
  grants: {},
});

/** An invoker whose loadHandler answers with the given function, as tests do. */
function invokerFor(handler: LambdaHandler, options: { timeoutMs?: number; time?: FakeTime; maxConcurrencyPerFunction?: number } = {}) {
  const { log, lines, text } = collectingLog();
  const invoke = createInvoker({
    loadHandler: async () => handler,
    log,
    timeoutMs: options.timeoutMs,
    maxConcurrencyPerFunction: options.maxConcurrencyPerFunction,
    clock: options.time,
    timers: options.time,
  });
  return { invoke, lines, text };
}

describe("createInvoker", () => {
  it("passes the event and returns the handler's result", async () => {
    const { invoke } = invokerFor(async (event: { n: number }) => ({ doubled: event.n * 2 }));
    await expect(invoke(decl(), { n: 21 })).resolves.toEqual({ doubled: 42 });
  });

  it("gives the handler a Lambda-like context", async () => {
    const time = new FakeTime();
    let seen: Context | undefined;
    let remainingLater = -1;
    const { invoke } = invokerFor(
      async (_event, context) => {
        seen = context;
        const remainingNow = context.getRemainingTimeInMillis();
        time.advance(1_000);
        remainingLater = context.getRemainingTimeInMillis();
        return remainingNow;
      },
      { time },
    );
    const remainingAtStart = await invoke(decl("packages/functions/src/ws/subscribe.handler", 3), {}, "ws/subscribe");
    expect(remainingAtStart).toBe(3_000);
    expect(remainingLater).toBe(2_000);
    expect(seen?.awsRequestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(seen?.functionName).toBe("ws-subscribe");
    expect(seen?.functionVersion).toBe("$LATEST");
    expect(seen?.memoryLimitInMB).toBe("256");
    expect(seen?.logGroupName).toBe("/aws/lambda/ws-subscribe");
    expect(seen?.invokedFunctionArn).toBe("arn:aws:lambda:us-east-1:123456789012:function:ws-subscribe");
    expect(seen?.callbackWaitsForEmptyEventLoop).toBe(true);
  });

  it("gives every invocation its own request id", async () => {
    const { invoke } = invokerFor(async (_event, context) => context.awsRequestId);
    const [a, b] = await Promise.all([invoke(decl(), {}), invoke(decl(), {})]);
    expect(a).not.toBe(b);
  });

  it("supports callback-style handlers", async () => {
    const { invoke } = invokerFor((event: string, _context, callback) => {
      setImmediate(() => callback(null, `hello ${event}`));
    });
    await expect(invoke(decl(), "fan")).resolves.toBe("hello fan");
  });

  it("rejects with a callback's error", async () => {
    const { invoke } = invokerFor((_event, _context, callback) => callback(new Error("callback said no")));
    await expect(invoke(decl(), {})).rejects.toThrow("callback said no");
  });

  it("returns a thrown error as a rejection and logs it with the function name", async () => {
    const failure = new Error("table missing");
    const { invoke, text } = invokerFor(() => {
      throw failure;
    });
    await expect(invoke(decl(), {}, "ws/connect")).rejects.toBe(failure);
    expect(text()).toMatch(/^error: ws\/connect \(request [0-9a-f-]{36}\) failed: Error: table missing/);
  });

  it("returns an async rejection to the caller", async () => {
    const { invoke, text } = invokerFor(async () => {
      await Promise.resolve();
      throw new TypeError("bad input");
    });
    await expect(invoke(decl(), {})).rejects.toThrow(TypeError);
    expect(text()).toContain("ws/connect");
  });

  it("times out after FunctionDecl.timeoutSeconds with Lambda's message", async () => {
    const time = new FakeTime();
    const { invoke, text } = invokerFor(() => new Promise(() => {}), { time });
    const result = invoke(decl(undefined, 3), {});
    await Promise.resolve();
    await new Promise((resolveTick) => setImmediate(resolveTick));
    time.advance(2_999);
    time.advance(1);
    const error = await result.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(FunctionTimeoutError);
    expect((error as Error).message).toMatch(/^Task timed out after 3\.00 seconds \(ws\/connect\); .*timeoutSeconds/);
    expect(text()).toContain("Task timed out");
  });

  it("lets timeoutMs override every declaration", async () => {
    const time = new FakeTime();
    const { invoke } = invokerFor(() => new Promise(() => {}), { time, timeoutMs: 50 });
    const result = invoke(decl(undefined, 900), {});
    await new Promise((resolveTick) => setImmediate(resolveTick));
    time.advance(50);
    await expect(result).rejects.toThrow("Task timed out after 0.05 seconds");
  });

  it("runs at most maxConcurrencyPerFunction invocations of one function at once; the rest queue in order and their timeout starts when they run", async () => {
    const time = new FakeTime();
    const gates: (() => void)[] = [];
    const started: number[] = [];
    const { invoke } = invokerFor(
      (event: { n: number }) => {
        started.push(event.n);
        return new Promise((resolveGate) => gates.push(() => resolveGate(event.n)));
      },
      { time, maxConcurrencyPerFunction: 2 },
    );
    const settle = () => new Promise((resolveTick) => setImmediate(resolveTick));
    const results = [1, 2, 3, 4].map((n) => invoke(decl(undefined, 3), { n }));
    await settle();
    expect(started).toEqual([1, 2]);
    // #1 answers at 2 s; #3, queued that long, starts now with a fresh 3 s.
    time.advance(2_000);
    gates.shift()!();
    await settle();
    expect(started).toEqual([1, 2, 3]);
    // At 3.5 s #2 (running since 0) times out; #3 (running since 2 s) does not.
    time.advance(1_500);
    await settle();
    await expect(results[1]).rejects.toBeInstanceOf(FunctionTimeoutError);
    // As on Lambda, #2 still counts against the bound until it really ends.
    expect(started).toEqual([1, 2, 3]);
    gates.shift()!();
    await settle();
    expect(started).toEqual([1, 2, 3, 4]);
    await expect(results[0]).resolves.toBe(1);
    for (const release of gates) release();
    await expect(Promise.all(results.slice(2))).resolves.toEqual([3, 4]);
  });

  it("frees the slots of handlers that never end once their sandbox, discarded after the timeout, has nothing else running", async () => {
    const time = new FakeTime();
    const started: number[] = [];
    const { log, text } = collectingLog();
    const invoke = createInvoker({
      loadHandler: async () => (event: { n: number }) => {
        started.push(event.n);
        return new Promise(() => {});
      },
      log,
      clock: time,
      timers: time,
      maxConcurrencyPerFunction: 2,
      sandboxGraceMs: 1_000,
    });
    const settle = () => new Promise((resolveTick) => setImmediate(resolveTick));
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => "resolved",
        (error: Error) => error.message,
      );
    const results = [1, 2, 3].map((n) => outcome(invoke(decl(undefined, 3), { n })));
    await settle();
    expect(started).toEqual([1, 2]);
    // Both time out at 3 s; with nothing left running the sandbox ends at once and #3 gets a slot.
    time.advance(3_000);
    await settle();
    expect(started).toEqual([1, 2, 3]);
    const four = outcome(invoke(decl(undefined, 3), { n: 4 }));
    await settle();
    expect(started).toEqual([1, 2, 3, 4]);
    // #3 and #4 share the new sandbox and time out together.
    time.advance(3_000);
    await settle();
    expect(await Promise.all([...results, four])).toEqual(Array(4).fill(expect.stringMatching(/^Task timed out after 3\.00 seconds/)));
    expect(text().match(/Task timed out/g)).toHaveLength(4);
  });

  it("ends a discarded sandbox after the grace period even if an invocation in it is still within its timeout", async () => {
    const time = new FakeTime();
    const started: number[] = [];
    const invoke = createInvoker({
      loadHandler: async () => (event: { n: number }) => {
        started.push(event.n);
        return new Promise(() => {});
      },
      log: collectingLog().log,
      clock: time,
      timers: time,
      maxConcurrencyPerFunction: 2,
      sandboxGraceMs: 1_000,
    });
    const settle = () => new Promise((resolveTick) => setImmediate(resolveTick));
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => "resolved",
        (error: Error) => error.message,
      );
    const first = outcome(invoke(decl(undefined, 3), { n: 1 }));
    await settle();
    time.advance(2_000);
    const second = outcome(invoke(decl(undefined, 3), { n: 2 }));
    const third = outcome(invoke(decl(undefined, 3), { n: 3 }));
    await settle();
    expect(started).toEqual([1, 2]);
    // #1 times out at 3 s and its sandbox is discarded; #2 (until 5 s) keeps it alive for the grace second only.
    time.advance(1_000);
    await settle();
    expect(await first).toMatch(/^Task timed out/);
    expect(started).toEqual([1, 2]);
    time.advance(999);
    await settle();
    expect(started).toEqual([1, 2]);
    time.advance(1);
    await settle();
    expect(await second).toMatch(/sandbox was discarded/);
    expect(started).toEqual([1, 2, 3]);
    time.advance(3_000);
    expect(await third).toMatch(/^Task timed out/);
  });

  it("does not time out a handler that answers in time, and clears its timer", async () => {
    const time = new FakeTime();
    const { invoke } = invokerFor(async () => "done", { time });
    await expect(invoke(decl(), {})).resolves.toBe("done");
    expect(time.timerCount).toBe(0);
  });

  it("rejects (and logs) when the handler cannot be loaded", async () => {
    const { log, text } = collectingLog();
    const invoke = createInvoker({
      loadHandler: async () => {
        throw new Error("no such file; create it");
      },
      log,
    });
    await expect(invoke(decl(), {}, "ws/connect")).rejects.toThrow("no such file");
    expect(text()).toMatch(/ws\/connect \(request [0-9a-f-]{36}\) could not be loaded: Error: no such file/);
  });

  it("rejects a malformed handler path with what to fix", async () => {
    const { invoke } = invokerFor(async () => "unused");
    await expect(invoke(decl("packages/functions/src/ws/connect"), {})).rejects.toThrow(/path\/to\/file\.exportName.*topology\.ts/);
  });

  it("survives a rejection a handler never awaited and names the function", async () => {
    // In a child process: vitest itself fails a run on any unhandled rejection,
    // and Node's default behaviour (exit) is exactly what is being guarded.
    const tsx = resolve(import.meta.dirname, "../../../../node_modules/.bin/tsx");
    const script = resolve(import.meta.dirname, "fixtures/floating-rejection.ts");
    const { stdout } = await promisify(execFile)(tsx, [script], { timeout: 20_000 });
    const report = JSON.parse(stdout) as { first: string; second: string; lines: string[] };
    expect(report.first).toBe("first");
    expect(report.second).toBe("second");
    expect(report.lines.join("\n")).toMatch(
      /ws\/careless \(request [0-9a-f-]{36}\) left a promise rejection unhandled.*nobody awaited me/s,
    );
  });
});

describe("a function's sandboxes (Lambda: one execution environment per concurrent invocation)", () => {
  const settle = () => new Promise((resolveTick) => setImmediate(resolveTick));

  /**
   * An in-process invoker whose handler module keeps per-instance state, as the
   * fan-out task worker keeps its share of the push budget: each load is a new
   * instance, and each invocation answers with the instance it ran in.
   */
  function pooled(sandboxesPerFunction?: (fn: FunctionDecl) => number) {
    const { log } = collectingLog();
    let instances = 0;
    const gates: (() => void)[] = [];
    const invoke = createInvoker({
      loadHandler: async () => {
        const instance = (instances += 1);
        return (event: { hold?: boolean }) =>
          event.hold ? new Promise((resolveGate) => gates.push(() => resolveGate(instance))) : Promise.resolve(instance);
      },
      log,
      ...(sandboxesPerFunction && { sandboxesPerFunction }),
    });
    const releaseAll = () => {
      for (const release of gates.splice(0)) release();
    };
    return { invoke, releaseAll, instances: () => instances };
  }

  it("gives each concurrent invocation its own sandbox up to the pool size, then shares the least busy one", async () => {
    const { invoke, releaseAll } = pooled(() => 3);
    const first = [1, 2, 3].map(() => invoke(decl(), { hold: true }));
    await settle();
    // Two more while all three are busy: they go to the sandboxes with the fewest invocations, not all to one.
    const more = [4, 5].map(() => invoke(decl(), { hold: true }));
    await settle();
    releaseAll();
    const ran = await Promise.all([...first, ...more]);
    expect(ran.slice(0, 3)).toEqual([1, 2, 3]);
    expect(new Set(ran.slice(3)).size).toBe(2);
    expect(ran.every((instance) => (instance as number) <= 3)).toBe(true);
  });

  it("reuses an idle sandbox rather than starting another (a warm start)", async () => {
    const { invoke, instances } = pooled(() => 8);
    for (let call = 0; call < 5; call += 1) await expect(invoke(decl(), {})).resolves.toBe(1);
    expect(instances()).toBe(1);
  });

  it("sizes each function's pool on its own; by default one sandbox serves every invocation", async () => {
    const worker = decl("packages/functions/src/queue/fanout-task.handler");
    const route = decl("packages/functions/src/ws/default.handler");
    const { invoke, releaseAll } = pooled((fn) => (fn === worker ? 2 : 1));
    const onRoute = [1, 2, 3].map(() => invoke(route, { hold: true }));
    const onWorker = [1, 2].map(() => invoke(worker, { hold: true }));
    await settle();
    releaseAll();
    expect(await Promise.all(onRoute)).toEqual([1, 1, 1]);
    expect(await Promise.all(onWorker)).toEqual([2, 3]);

    const byDefault = pooled();
    const shared = [1, 2].map(() => byDefault.invoke(worker, { hold: true }));
    await settle();
    byDefault.releaseAll();
    expect(await Promise.all(shared)).toEqual([1, 1]);
  });
});

describe("Lambda's init phase (a sandbox's module load)", () => {
  const settle = () => new Promise((resolveTick) => setImmediate(resolveTick));

  /** An in-process invoker whose handler module finishes loading when the test says. */
  function slowInit(time: FakeTime) {
    const { log, text } = collectingLog();
    let loads = 0;
    const handled: number[] = [];
    let finishLoad!: () => void;
    const loaded = new Promise<void>((resolveLoad) => {
      finishLoad = resolveLoad;
    });
    const invoke = createInvoker({
      loadHandler: async () => {
        loads += 1;
        await loaded;
        return async (event: { n: number }, context: Context) => {
          handled.push(event.n);
          return context.getRemainingTimeInMillis();
        };
      },
      log,
      clock: time,
      timers: time,
    });
    return { invoke, text, finishLoad, handled, loads: () => loads };
  }
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      (value) => value,
      (error: Error) => error.message,
    );

  it("does not count a load under the 10 s init limit against the timeout; the handler gets its whole timeout", async () => {
    const time = new FakeTime();
    const { invoke, finishLoad } = slowInit(time);
    const result = outcome(invoke(decl(undefined, 3), { n: 1 }));
    await settle();
    time.advance(7_000);
    finishLoad();
    await settle();
    expect(await result).toBe(3_000);
  });

  it("counts what a load takes past the init limit: the handler gets the rest of its timeout", async () => {
    const time = new FakeTime();
    const { invoke, finishLoad } = slowInit(time);
    const result = outcome(invoke(decl(undefined, 3), { n: 1 }));
    await settle();
    time.advance(12_000);
    await settle();
    finishLoad();
    await settle();
    expect(await result).toBe(1_000);
  });

  it("keeps a sandbox whose invocation timed out while it loaded: the event is dropped, the load goes on and serves the next one", async () => {
    const time = new FakeTime();
    const { invoke, text, finishLoad, handled, loads } = slowInit(time);
    const first = outcome(invoke(decl(undefined, 3), { n: 1 }));
    await settle();
    // Init limit 10 s + timeout 3 s: the first invocation times out at 13 s, its handler never having run.
    time.advance(13_000);
    await settle();
    expect(await first).toMatch(/^Task timed out after 3\.00 seconds/);
    expect(text()).toMatch(/spent it loading the handler .*sandbox is kept/);
    // The next one arrives past the init limit: its timeout counts from its arrival.
    time.advance(500);
    const second = outcome(invoke(decl(undefined, 3), { n: 2 }));
    await settle();
    time.advance(500);
    finishLoad();
    await settle();
    expect(await second).toBe(2_500);
    // One load, not one per invocation; and the timed-out event never reached the handler, as on Lambda.
    expect(loads()).toBe(1);
    expect(handled).toEqual([2]);
  });
});

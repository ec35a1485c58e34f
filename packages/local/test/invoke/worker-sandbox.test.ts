import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { FunctionDecl } from "@pushgate/core";
import { createHandlerLoader, createInvoker, FunctionTimeoutError, type InvokerOptions } from "../../src/invoke";
import { collectingLog, FakeTime } from "./fake-time";

// Every function here runs in a real worker thread, from a real bundle of the fixture.
const rootDir = resolve(import.meta.dirname, "../../../..");
const fixture = "packages/local/test/invoke/fixtures/sandbox-handlers";
const decl = (exportName: string, timeoutSeconds = 5, memoryMB = 128): FunctionDecl => ({
  handler: `${fixture}.${exportName}`,
  timeoutSeconds,
  memoryMB,
  grants: {},
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function workerInvoker(options: Partial<InvokerOptions> = {}) {
  const { log, text } = collectingLog();
  const bundler = createHandlerLoader({ rootDir, watch: false, log });
  const invoke = createInvoker({ bundler, log, ...options });
  closers.push(async () => {
    await invoke.close();
    bundler.close();
  });
  return { invoke, text };
}

/** A gate the test opens and a handler in another thread waits on (see the fixture). */
function gate() {
  const buffer = new SharedArrayBuffer(12);
  const cells = new Int32Array(buffer);
  return {
    buffer,
    started: () => Atomics.load(cells, 1) === 1,
    threadId: () => Atomics.load(cells, 2),
    open: () => {
      Atomics.store(cells, 0, 1);
      Atomics.notify(cells, 0);
    },
  };
}

describe("a worker sandbox per function", () => {
  it("gives each function its own environment, and none of the test process's", async () => {
    process.env.PUSHGATE_TEST_PROCESS_ONLY = "visible only to the emulator";
    try {
      const { invoke } = workerInvoker({ environmentFor: (fn) => ({ SANDBOX_PROBE: `probe of ${fn.handler.split(".").pop()}` }) });
      const envOf = (exportName: string) => ({
        ...decl("environment"),
        handler: `${fixture}.environment`,
        memoryMB: exportName === "a" ? 128 : 129,
      });
      const first = await invoke(decl("environment"), {});
      expect(first).toEqual({
        probe: "probe of environment",
        testProcessOnly: null,
        functionName: expect.stringMatching(/sandbox-handlers$/),
      });
      // Another function: another environment.
      const { invoke: other } = workerInvoker({ environmentFor: () => ({ SANDBOX_PROBE: "the other function's" }) });
      await expect(other(envOf("b"), {})).resolves.toMatchObject({ probe: "the other function's", testProcessOnly: null });
    } finally {
      delete process.env.PUSHGATE_TEST_PROCESS_ONLY;
    }
  });

  it("gives each function its own module graph: module state is not shared", async () => {
    const { invoke } = workerInvoker();
    expect(await invoke(decl("countA"), {})).toBe(1);
    expect(await invoke(decl("countB"), {})).toBe(1);
    expect(await invoke(decl("countA"), {})).toBe(2);
  });

  it("passes a Lambda context into the sandbox", async () => {
    const { invoke } = workerInvoker();
    const seen = (await invoke(decl("context", 3, 256), {}, "POST /things")) as Record<string, unknown>;
    expect(seen).toMatchObject({
      functionName: "packages-local-test-invoke-fixtures-sandbox-handlers",
      memoryLimitInMB: "256",
      invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:packages-local-test-invoke-fixtures-sandbox-handlers",
      awsRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(seen.remaining).toBeGreaterThan(0);
    expect(seen.remaining).toBeLessThanOrEqual(3_000);
  });

  it("runs callback-style handlers", async () => {
    const { invoke } = workerInvoker();
    await expect(invoke(decl("callback"), { name: "fan" })).resolves.toBe("hello fan");
  });

  it("returns a thrown error with its name, message and a stack into the TypeScript source, logged once with function, route and request id", async () => {
    const { invoke, text } = workerInvoker();
    const error = (await invoke(decl("throws"), {}, "POST /things").catch((reason: unknown) => reason)) as Error;
    expect(error.name).toBe("TypeError");
    expect(error.message).toBe("bad input from the fixture");
    expect(error.stack).toContain("sandbox-handlers.ts");
    expect(text().match(/^error: .*$/gm)).toEqual([
      expect.stringMatching(
        /^error: packages\/local\/test\/invoke\/fixtures\/sandbox-handlers \(POST \/things\) \(request [0-9a-f-]{36}\) failed: TypeError: bad input from the fixture/,
      ),
    ]);
  });

  it("logs a result with statusCode >= 500 with function, route and request id, and still returns it", async () => {
    const { invoke, text } = workerInvoker();
    await expect(invoke(decl("answers502"), {}, "GET /down")).resolves.toEqual({ statusCode: 502, body: "upstream down" });
    expect(text()).toMatch(
      /^error: packages\/local\/test\/invoke\/fixtures\/sandbox-handlers \(GET \/down\) \(request [0-9a-f-]{36}\) answered statusCode 502/m,
    );
  });

  it("keeps a timed-out invocation's slot until it really ends, and runs later ones in a new sandbox", async () => {
    const time = new FakeTime();
    const { invoke, text } = workerInvoker({ timers: time, clock: time, maxConcurrencyPerFunction: 2 });
    const settled = (promise: Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> =>
      promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
    const [hung, companion, later] = [gate(), gate(), gate()];
    const hungResult = settled(invoke(decl("gated", 3), { gate: hung.buffer }, "slowRoute"));
    await expect.poll(hung.started, { timeout: 20_000 }).toBe(true);
    time.advance(1_000);
    // Started a second later, so it is still within its timeout when the first times out.
    const companionResult = settled(invoke(decl("gated", 3), { gate: companion.buffer }, "slowRoute"));
    await expect.poll(companion.started, { timeout: 20_000 }).toBe(true);
    const laterResult = settled(invoke(decl("gated", 3), { gate: later.buffer }, "slowRoute"));

    time.advance(2_000);
    expect((await hungResult).error).toBeInstanceOf(FunctionTimeoutError);
    // A round trip through another function's sandbox: time enough for the third to have started, were a slot free.
    await invoke(decl("threadOf"), {});
    expect(later.started()).toBe(false);

    // The timed-out handler really ends: its slot goes to the third, in a new sandbox (the old one takes no more).
    hung.open();
    await expect.poll(later.started, { timeout: 20_000 }).toBe(true);
    expect(later.threadId()).not.toBe(hung.threadId());
    expect(companion.threadId()).toBe(hung.threadId());
    companion.open();
    later.open();
    expect(await companionResult).toEqual({ value: hung.threadId() });
    expect(await laterResult).toEqual({ value: later.threadId() });
    expect(text().match(/Task timed out/g)).toHaveLength(1);
  });

  it("ends a sandbox discarded after a timeout once its other invocations are done, which ends the hung handler too", async () => {
    const time = new FakeTime();
    const { invoke } = workerInvoker({ timers: time, clock: time, maxConcurrencyPerFunction: 1 });
    const hung = gate();
    const next = gate();
    const hungResult = invoke(decl("gated", 3), { gate: hung.buffer }).catch((error: unknown) => error);
    await expect.poll(hung.started, { timeout: 20_000 }).toBe(true);
    const nextResult = invoke(decl("gated", 3), { gate: next.buffer });
    time.advance(3_000);
    expect(await hungResult).toBeInstanceOf(FunctionTimeoutError);
    // Nothing else ran in the discarded sandbox, so it ended at once: the slot is free although the gate never opened.
    await expect.poll(next.started, { timeout: 20_000 }).toBe(true);
    expect(next.threadId()).not.toBe(hung.threadId());
    next.open();
    await expect(nextResult).resolves.toBe(next.threadId());
  });

  it("keeps a sandbox whose invocation timed out during its module load, drops that event, and serves the next one from the same load", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pushgate-slow-init-"));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const gate = join(dir, "gate");
    const loads = join(dir, "loads");
    // No init allowance at all: the 2 s timeout counts from the invocation, while the load waits on the gate.
    const { invoke, text } = workerInvoker({
      environmentFor: () => ({ INIT_GATE: gate, INIT_LOG: loads }),
      initLimitMs: 0,
      timeoutMs: 2_000,
    });
    const slowInit: FunctionDecl = {
      handler: "packages/local/test/invoke/fixtures/slow-init.handler",
      timeoutSeconds: 1,
      memoryMB: 128,
      grants: {},
    };
    await expect(invoke(slowInit, { n: 1 })).rejects.toBeInstanceOf(FunctionTimeoutError);
    expect(text()).toMatch(/spent it loading the handler .*sandbox is kept/);
    writeFileSync(gate, "open");
    await expect(invoke(slowInit, { n: 2 })).resolves.toEqual({ n: 2, handled: 1 });
    expect(readFileSync(loads, "utf8")).toBe("loaded\n");
  });

  it("fails the running invocation on an unhandled rejection, logs it with the request id, and recycles the sandbox", async () => {
    const { invoke, text } = workerInvoker();
    const error = (await invoke(decl("rejectsWhileRunning"), {}, "careless").catch((reason: unknown) => reason)) as Error;
    expect(error.message).toBe("rejected while the handler still ran");
    expect(text()).toMatch(
      /\(careless\) \(request [0-9a-f-]{36}\) left a promise rejection unhandled.*rejected while the handler still ran/,
    );
  });

  it("recycles the sandbox after a rejection that escaped a handler which had already answered; the emulator carries on", async () => {
    const { invoke, text } = workerInvoker();
    const firstThread = await invoke(decl("careless"), {});
    await expect
      .poll(() => text(), { timeout: 20_000 })
      .toMatch(/sandbox-handlers \(request [0-9a-f-]{36}\) left a promise rejection unhandled.*nobody awaited me/s);
    const nextThread = await invoke(decl("careless"), {});
    expect(nextThread).not.toBe(firstThread);
  });

  it("recycles the sandbox after an exception thrown outside the handler's promise", async () => {
    const { invoke, text } = workerInvoker();
    const firstThread = await invoke(decl("throwsInATimer"), {});
    await expect.poll(() => text(), { timeout: 20_000 }).toMatch(/threw outside the handler's promise.*thrown from a timer/s);
    expect(await invoke(decl("throwsInATimer"), {})).not.toBe(firstThread);
  });

  it("fails an invocation whose result cannot cross back, with Lambda's error type", async () => {
    const { invoke } = workerInvoker();
    await expect(invoke(decl("unclonable"), {})).rejects.toMatchObject({
      name: "Runtime.MarshalError",
      message: expect.stringMatching(/return plain data/),
    });
  });

  it("says which export is missing, and the next invocation tries again", async () => {
    const { invoke, text } = workerInvoker();
    await expect(invoke(decl("nope"), {})).rejects.toThrow(/no exported function "nope" \(it exports .*threadOf/);
    expect(text()).toMatch(/could not be loaded/);
    await expect(invoke(decl("nope"), {})).rejects.toThrow(/no exported function "nope"/);
  });

  it("ends a sandbox that runs out of its memoryMB and fails that invocation, not the emulator", async () => {
    const { invoke } = workerInvoker();
    await expect(invoke(decl("hogsMemory", 30, 32), {})).rejects.toThrow(/memory.*raise memoryMB \(32\)/is);
    await expect(invoke(decl("threadOf", 30, 32), {})).resolves.toEqual(expect.any(Number));
  });
});

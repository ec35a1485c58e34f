/**
 * `BENCH_CPU_PROFILE=<dir>`: V8 CPU profiles of this (the server) process over
 * one measured phase, written as `<dir>/<name>-<pid>.cpuprofile`, and of every
 * handler's worker thread (the local cloud runs each function in its own
 * worker: the fan-out's own CPU is there, not on the main thread), written as
 * `<dir>/<name>-<pid>-worker-<handler>.cpuprofile`. Analyse one with
 * `node bench/lib/profile-summary.mjs <file>` (self time by function).
 *
 * The workers are reached through the inspector's NodeWorker domain from the
 * main thread's session, so nothing in the local cloud knows it is profiled.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "node:inspector/promises";

interface AttachedWorker {
  sessionId: string;
  label: string;
}

const SAMPLING_INTERVAL_US = 200;

/**
 * The handler a worker ran, from the profile itself: every worker starts the
 * same sandbox runtime, so its URL says nothing; the handler's bundle (e.g.
 * `node_modules/.cache/pushgate/handlers/stream-games-1a2b.mjs`) is the script most of its frames come from.
 * Undefined for a worker that ran no JavaScript of a bundle in the window.
 */
function handlerOf(profile: { nodes: { callFrame: { url: string } }[] }): string | undefined {
  const frames = new Map<string, number>();
  for (const { callFrame } of profile.nodes) {
    const file = callFrame.url.split("/").pop() ?? "";
    if (!/\.m?js$/.test(file) || file.startsWith("sandbox-runtime") || !/\/(build|handlers)\//.test(callFrame.url)) continue;
    frames.set(file, (frames.get(file) ?? 0) + 1);
  }
  const [top] = [...frames].sort((a, b) => b[1] - a[1]);
  return top?.[0].replace(/\.m?js$/, "");
}

export async function startCpuProfile(name: string): Promise<{ stop(): Promise<void> } | undefined> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: SAMPLING_INTERVAL_US });

  // Messages to a worker are answered asynchronously through receivedMessageFromWorker, matched by id.
  const workers: AttachedWorker[] = [];
  const answers = new Map<string, (result: unknown) => void>();
  let nextMessageId = 1;
  session.on("NodeWorker.attachedToWorker", (message) => {
    const { sessionId, workerInfo } = message.params as { sessionId: string; workerInfo: { workerId: string } };
    workers.push({ sessionId, label: `worker ${workerInfo.workerId}` });
  });
  session.on("NodeWorker.receivedMessageFromWorker", (message) => {
    const { sessionId, message: text } = message.params as { sessionId: string; message: string };
    const reply = JSON.parse(text) as { id?: number; result?: unknown };
    if (reply.id === undefined) return;
    answers.get(`${sessionId}#${reply.id}`)?.(reply.result);
  });
  const toWorker = (worker: AttachedWorker, method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextMessageId++;
      const key = `${worker.sessionId}#${id}`;
      const timer = setTimeout(() => {
        answers.delete(key);
        reject(new Error(`worker ${worker.label} did not answer ${method} within 10 s`));
      }, 10_000);
      answers.set(key, (result) => {
        clearTimeout(timer);
        answers.delete(key);
        resolve(result);
      });
      void session.post("NodeWorker.sendMessageToWorker", { sessionId: worker.sessionId, message: JSON.stringify({ id, method, params }) });
    });

  // attachedToWorker fires for every running worker while enable is processed.
  await session.post("NodeWorker.enable", { waitForDebuggerOnStart: false });
  const profiled: AttachedWorker[] = [];
  for (const worker of workers) {
    try {
      await toWorker(worker, "Profiler.enable");
      await toWorker(worker, "Profiler.setSamplingInterval", { interval: SAMPLING_INTERVAL_US });
      await toWorker(worker, "Profiler.start");
      profiled.push(worker);
    } catch (error) {
      process.stderr.write(`cpu profile: ${(error as Error).message}; that worker is not profiled\n`);
    }
  }
  await session.post("Profiler.start");
  return {
    async stop() {
      const { profile } = await session.post("Profiler.stop");
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${name}-${process.pid}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      const files = [file];
      for (const worker of profiled) {
        try {
          const result = (await toWorker(worker, "Profiler.stop")) as { profile: Parameters<typeof handlerOf>[0] };
          const handler = handlerOf(result.profile);
          if (!handler) continue;
          const workerFile = join(dir, `${name}-${process.pid}-worker-${handler}.cpuprofile`);
          writeFileSync(workerFile, JSON.stringify(result.profile));
          files.push(workerFile);
        } catch (error) {
          process.stderr.write(`cpu profile: ${(error as Error).message}\n`);
        }
      }
      await session.post("NodeWorker.disable").catch(() => undefined);
      session.disconnect();
      process.stderr.write(`cpu profile: ${files.join(", ")}\n`);
    },
  };
}

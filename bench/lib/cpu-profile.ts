/**
 * `BENCH_CPU_PROFILE=<dir>`: a V8 CPU profile of this (the server) process over
 * one measured phase, written as `<dir>/<name>-<pid>.cpuprofile`; analyse it
 * with `node bench/lib/profile-summary.mjs <file>` (self time by function).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "node:inspector/promises";

export async function startCpuProfile(name: string): Promise<{ stop(): Promise<void> } | undefined> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return {
    async stop() {
      const { profile } = await session.post("Profiler.stop");
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${name}-${process.pid}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      process.stderr.write(`cpu profile: ${file}\n`);
    },
  };
}

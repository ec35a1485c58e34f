/**
 * CPU seconds spent by the bench's own process tree over a phase, by role
 * (the server process with its handler workers and in-process S3 emulator,
 * DynamoDB Local, the fan processes), read from /proc; the rest of the machine's busy time is
 * other work. A sampling profile of the server's main thread cannot show
 * this: the handlers run in worker threads and DynamoDB Local in a JVM.
 * Linux only; elsewhere `processTreeCpu()` answers undefined.
 */
import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";

/** /proc/<pid>/stat reports times in clock ticks; 100 per second on Linux (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** utime + stime in seconds, and the parent pid, from one /proc/<pid>/stat line (the command may contain spaces and parentheses). */
export function parseStat(line: string): { ppid: number; cpuSeconds: number } {
  const fields = line.slice(line.lastIndexOf(")") + 2).split(" ");
  // After "(comm)": state(0) ppid(1) ... utime(11) stime(12).
  return { ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
}

export type CpuRole = "server" | "dynamodb-local" | "fan processes" | "other children";

export function roleOf(pid: number, root: number, commandLine: string): CpuRole {
  if (pid === root) return "server";
  // The local cloud's only JVM is DynamoDB Local.
  if (/DynamoDBLocal|\bjava\b/.test(commandLine)) return "dynamodb-local";
  if (commandLine.includes("fan-process")) return "fan processes";
  return "other children";
}

export interface CpuSample {
  at: number;
  byRole: Partial<Record<CpuRole, number>>;
  /** Busy CPU seconds of the whole machine (every process, everyone's), from /proc/stat. */
  machineBusy: number;
}

function machineBusySeconds(): number {
  const [, ...values] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = values.map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND;
}

export function processTreeCpu(root = process.pid): CpuSample | undefined {
  try {
    const stats = new Map<number, { ppid: number; cpuSeconds: number }>();
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        stats.set(Number(entry), parseStat(readFileSync(`/proc/${entry}/stat`, "utf8")));
      } catch {
        // The process ended between the listing and the read.
      }
    }
    const inTree = (pid: number): boolean => {
      for (let current = pid, hops = 0; current > 1 && hops < 20; hops++) {
        if (current === root) return true;
        current = stats.get(current)?.ppid ?? 0;
      }
      return false;
    };
    const byRole: CpuSample["byRole"] = {};
    for (const [pid, stat] of stats) {
      if (!inTree(pid)) continue;
      let commandLine = "";
      try {
        commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      } catch {
        continue;
      }
      const role = roleOf(pid, root, commandLine);
      byRole[role] = (byRole[role] ?? 0) + stat.cpuSeconds;
    }
    return { at: Date.now(), byRole, machineBusy: machineBusySeconds() };
  } catch {
    return undefined;
  }
}

/** Cores used per role between two samples, and the machine's busy cores not ours ("others"). */
export function coresUsed(start: CpuSample, end: CpuSample): Record<string, number> {
  const seconds = (end.at - start.at) / 1000;
  const used: Record<string, number> = {};
  let ours = 0;
  for (const role of Object.keys(end.byRole) as CpuRole[]) {
    const delta = (end.byRole[role] ?? 0) - (start.byRole[role] ?? 0);
    ours += delta;
    used[role] = Number((delta / seconds).toFixed(2));
  }
  used["others on the machine"] = Number(((end.machineBusy - start.machineBusy - ours) / seconds).toFixed(2));
  used.cores = cpus().length;
  return used;
}

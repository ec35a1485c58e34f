import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Log } from "../log";
import { commandLineOf, isAlive, waitForExit } from "./process-tools";

interface PidFileContent {
  pid: number;
  port: number;
  startedAt: string;
}

export function writePidFile(path: string, content: PidFileContent): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(content)}\n`);
}

/** Removes the pid file only if it still names `pid` (a newer run may own it). */
export function removePidFile(path: string, pid: number): void {
  if (readPidFile(path)?.pid === pid) rmSync(path, { force: true });
}

function readPidFile(path: string): PidFileContent | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<PidFileContent>;
    return typeof parsed.pid === "number" ? (parsed as PidFileContent) : undefined;
  } catch {
    // A bare number is accepted too, for pid files written by hand or by older runs.
    const pid = Number.parseInt(text, 10);
    return Number.isFinite(pid) ? { pid, port: 0, startedAt: "" } : undefined;
  }
}

/**
 * A Node parent killed with SIGKILL (or a crashed test run) cannot stop its
 * java child, which then holds the port and, with -dbPath, the database files.
 * The next start kills it, but only if that pid is still a DynamoDB Local java:
 * pids are reused, and killing an unrelated process would be far worse.
 */
export async function cleanStalePidFile(path: string, log: Log): Promise<void> {
  const stale = readPidFile(path);
  if (!stale) {
    rmSync(path, { force: true });
    return;
  }
  const commandLine = isAlive(stale.pid) ? commandLineOf(stale.pid) : undefined;
  if (commandLine?.includes("DynamoDBLocal")) {
    log("warn", `Stopping DynamoDB Local left running by a previous run (pid ${stale.pid}, port ${stale.port}, pid file ${path}).`);
    process.kill(stale.pid, "SIGKILL");
    if (!(await waitForExit(stale.pid, 5_000))) {
      throw new Error(
        `DynamoDB Local pid ${stale.pid} from ${path} did not exit after SIGKILL: stop it by hand (kill -9 ${stale.pid}) and start again.`,
      );
    }
  } else if (commandLine) {
    log("debug", `Stale pid file ${path} names pid ${stale.pid}, now another program; leaving that process alone.`);
  }
  rmSync(path, { force: true });
}

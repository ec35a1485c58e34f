import type { ChildProcess } from "node:child_process";

/**
 * Java children must never outlive this Node process: kill them on exit and
 * on SIGINT/SIGTERM/SIGHUP. One set of listeners serves every running child.
 *
 * Adding a SIGINT listener switches off Node's default "exit on SIGINT", so
 * after killing the children our listener removes itself and, if nobody else
 * listens for that signal, re-sends it: the host process still dies as it
 * would have without us (a CLI or dev server keeps its own handlers working).
 */
const children = new Set<ChildProcess>();
const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let installed = false;

function killAll(): void {
  for (const child of children) {
    // SIGKILL: on exit there is no time to wait for a graceful shutdown, and an
    // in-memory database has nothing to flush (-dbPath writes are synchronous).
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  children.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  uninstall();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", killAll);
  for (const signal of signals) process.on(signal, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off("exit", killAll);
  for (const signal of signals) process.off(signal, onSignal);
}

export function killOnExit(child: ChildProcess): void {
  children.add(child);
  install();
}

export function forgetOnExit(child: ChildProcess): void {
  children.delete(child);
  if (children.size === 0) uninstall();
}

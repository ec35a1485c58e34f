import type { ChildProcess } from "node:child_process";

/**
 * Asks a forked bench process to exit (it exits when its IPC channel closes;
 * SIGTERM when there is none) and kills it if it is still there after
 * `graceMs`, so a bench never leaves a process behind.
 */
export function stopChildProcess(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.disconnect();
    else child.kill("SIGTERM");
  });
}

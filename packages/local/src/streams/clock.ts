import { setTimeout as delay } from "node:timers/promises";

/**
 * Time as the poller sees it. Injected so tests can age records (max record
 * age) or skip retry back-off without waiting. `sleep` resolves early, without
 * error, when the signal aborts: that is how stop() and drained() wake loops.
 */
export interface StreamClock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemStreamClock: StreamClock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    try {
      await delay(ms, undefined, { signal, ref: false });
    } catch (error) {
      // Only the abort is expected; anything else is a real fault.
      if ((error as Error).name !== "AbortError") throw error;
    }
  },
};

/** A sleep that stop() (the parent signal) or wake() can cut short. */
export class WakeableSleep {
  private current?: AbortController;

  constructor(
    private readonly clock: StreamClock,
    private readonly stopSignal: AbortSignal,
  ) {}

  async sleep(ms: number): Promise<void> {
    if (this.stopSignal.aborted) return;
    const controller = new AbortController();
    this.current = controller;
    try {
      await this.clock.sleep(ms, AbortSignal.any([controller.signal, this.stopSignal]));
    } finally {
      if (this.current === controller) this.current = undefined;
    }
  }

  wake(): void {
    this.current?.abort();
  }
}

/** Rest per millisecond of work: 4 keeps a background loop under a fifth of DynamoDB Local's time. */
const REST_PER_WORK_MS = 4;

/**
 * How long a background loop over DynamoDB Local (TTL sweeps, shard
 * discovery) waits after a pass that took `workMs`: its interval, or four
 * times the pass if that is longer. Such passes cost DynamoDB Local in
 * proportion to the data (a Scan reads every item; DescribeStream walks the
 * stream's records), and its one SQLite thread serves every other request
 * too: run back to back at 50,000 connections they starved the handlers.
 */
export function restAfter(intervalMs: number, workMs: number): number {
  return Math.max(intervalMs, workMs * REST_PER_WORK_MS);
}

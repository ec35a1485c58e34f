/**
 * The snapshot poller: while no WebSocket is live it keeps every held topic
 * fresh from the S3 snapshots. It owns the polling rounds, their interval and
 * backoff, and re-signing expired snapshot URLs; it is a fallback, not a
 * transport (it carries no frames to the server).
 */
import type { MessageFrame } from "@pushgate/core/wire";
import { fullJitterDelay, type BackoffOptions } from "./backoff";
import type { RandomSource, TimerHandle, Timers } from "./environment";
import type { PushClientError } from "./errors";
import type { SnapshotFetcher } from "./snapshotFetcher";
import type { SnapshotUrls } from "./snapshotUrls";

export interface PollingOptions {
  /** Time between rounds while they succeed. */
  intervalMs: number;
  /** The longest wait between rounds while they fail. */
  maxIntervalMs: number;
  /**
   * How long a socket that is opening (first connect, or a retry after a drop)
   * may take before polling starts. Most sockets open within it, so a page load
   * or a reconnect storm does not also cost every fan a snapshot round; a socket
   * that hangs (captive portal, black-holed WebSockets) does not leave the page without data.
   */
  graceMs: number;
}

export const DEFAULT_POLLING: PollingOptions = { intervalMs: 2_000, maxIntervalMs: 30_000, graceMs: 1_000 };

export interface SnapshotPollerDeps {
  fetcher: SnapshotFetcher;
  urls: SnapshotUrls;
  timers: Timers;
  random: RandomSource;
  options: PollingOptions;
  /** The topics to poll, read at every round so subscribe/unsubscribe take effect. */
  topics: () => readonly string[];
  onSnapshot: (frame: MessageFrame) => void;
  /** A round got an answer for every topic: the data is current as of now. */
  onRoundSucceeded: () => void;
  onError: (error: PushClientError) => void;
}

/**
 * The fallback while the WebSocket is down: every `intervalMs`, a conditional
 * GET of each topic's snapshot through its presigned S3 URL (no server of ours
 * is hit; an unchanged snapshot is a 304). A round with failures backs off with
 * full jitter from `intervalMs` up to `maxIntervalMs`, so a fleet of clients
 * facing a failing endpoint spreads out instead of hammering it in step.
 *
 * `pollingRunId` names the current run (bumped by start and stop): a round
 * still awaiting its fetches when polling stopped (the socket came back)
 * neither applies nor reschedules.
 */
export class SnapshotPoller {
  private pollingRunId = 0;
  private running = false;
  private timer: TimerHandle | undefined;
  private graceTimer: TimerHandle | undefined;
  private failedRounds = 0;

  constructor(private readonly deps: SnapshotPollerDeps) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** Start polling now (the first round runs at once: the data may already be stale). */
  start(): void {
    this.deps.timers.clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    if (this.running) return;
    this.running = true;
    this.failedRounds = 0;
    const pollingRunId = ++this.pollingRunId;
    void this.round(pollingRunId);
  }

  /** Start after the grace period unless `stop()` comes first (the socket opened in time). */
  startSoon(): void {
    if (this.running || this.graceTimer !== undefined) return;
    this.graceTimer = this.deps.timers.setTimeout(() => this.start(), this.deps.options.graceMs);
  }

  stop(): void {
    this.deps.timers.clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    if (!this.running) return;
    this.running = false;
    this.pollingRunId++;
    this.deps.timers.clearTimeout(this.timer);
  }

  private async round(pollingRunId: number): Promise<void> {
    const failed = await this.pollOnce(pollingRunId);
    if (pollingRunId !== this.pollingRunId) return;
    this.failedRounds = failed ? this.failedRounds + 1 : 0;
    if (!failed) this.deps.onRoundSucceeded();
    this.timer = this.deps.timers.setTimeout(() => void this.round(pollingRunId), this.nextDelay());
  }

  private nextDelay(): number {
    const { intervalMs, maxIntervalMs } = this.deps.options;
    if (this.failedRounds === 0) return intervalMs;
    const backoff: BackoffOptions = { baseMs: intervalMs, capMs: maxIntervalMs - intervalMs };
    return intervalMs + fullJitterDelay(backoff, this.failedRounds - 1, this.deps.random);
  }

  /** One round over every topic; true when anything failed. Never throws. */
  private async pollOnce(pollingRunId: number): Promise<boolean> {
    const topics = this.deps.topics();
    if (topics.length === 0) return false;
    let failed = false;
    const report = (error: PushClientError) => {
      failed = true;
      if (pollingRunId === this.pollingRunId) this.deps.onError(error);
    };

    const first = await this.fetchAll(topics, pollingRunId, report);
    if (first.expired.length > 0 && pollingRunId === this.pollingRunId) {
      // Presigned URLs last minutes to hours; a long outage outlives them. Sign new ones and retry once.
      for (const topic of first.expired) this.deps.urls.forget(topic);
      const second = await this.fetchAll(first.expired, pollingRunId, report);
      for (const topic of second.expired) {
        this.deps.urls.forget(topic);
        report({
          origin: "client",
          code: "SNAPSHOT_FAILED",
          topic,
          message: `a freshly signed ${topic} snapshot URL was refused (403)`,
          status: 403,
        });
      }
    }
    return failed;
  }

  private async fetchAll(
    topics: readonly string[],
    pollingRunId: number,
    report: (error: PushClientError) => void,
  ): Promise<{ expired: string[] }> {
    const { urls, error } = await this.deps.urls.resolve(topics);
    if (error) report(error);
    const expired: string[] = [];
    // Each topic on its own: one failing snapshot must not hold back the others.
    await Promise.all(
      [...urls].map(async ([topic, url]) => {
        const result = await this.deps.fetcher.get(topic, url);
        if (pollingRunId !== this.pollingRunId) {
          // A body dropped unapplied must not leave its ETag behind: the next GET would be a 304 for data never shown.
          if (result.status === "fetched") this.deps.fetcher.forget(topic);
          return;
        }
        switch (result.status) {
          case "fetched":
            this.deps.onSnapshot(result.frame);
            return;
          case "expired":
            expired.push(topic);
            return;
          case "failed":
            report(result.error);
            return;
          case "unchanged":
          case "missing":
            return;
        }
      }),
    );
    return { expired };
  }
}

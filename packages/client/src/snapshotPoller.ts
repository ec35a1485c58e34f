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
   * How long a retry after a drop may take to open before polling starts. The
   * page has data then, only seconds old, and most retries open within it, so a
   * reconnect storm does not also cost every fan a snapshot round; a retry that
   * hangs (a captive portal, black-holed WebSockets) does not leave the page stale.
   * A first connect does not wait: it polls at once, in parallel with the socket.
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
 * facing a failing endpoint spreads out instead of hammering it in step. A
 * topic held while polling runs is fetched at once, not at the next round: the
 * game list names the games, and each game must not wait a whole interval.
 *
 * `pollingRunId` names the current run (bumped by start and stop): a round
 * still awaiting its fetches when polling stopped (the socket came back)
 * neither reports nor reschedules, but still applies what it fetched: applying
 * is seq-guarded, so a snapshot never undoes a newer push, and dropping it
 * would leave the page empty until the subscribe's resync fetched it again.
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

  /** Topics just held: fetch them now if polling runs (the next round would leave them empty for up to `intervalMs`). */
  pollNow(topics: readonly string[]): void {
    if (!this.running || topics.length === 0) return;
    void this.pollOnce(this.pollingRunId, topics);
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
    const failed = await this.pollOnce(pollingRunId, this.deps.topics());
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

  /** One fetch of each of `topics`; true when anything failed. Never throws. */
  private async pollOnce(pollingRunId: number, topics: readonly string[]): Promise<boolean> {
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
          // Polling stopped meanwhile (the socket opened): the body is still the newest the page has seen, unless a push beat it.
          if (result.status === "fetched") this.deps.onSnapshot(result.frame);
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

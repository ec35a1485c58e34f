import type { MessageFrame } from "@pushgate/core/protocol";
import { fullJitterDelay, type BackoffOptions } from "./backoff";
import type { RandomSource, Timers } from "./environment";
import type { PushClientError } from "./errors";
import type { SnapshotFetcher } from "./snapshotFetcher";
import type { SnapshotUrls } from "./snapshotUrls";

export interface PollingOptions {
  /** Time between rounds while they succeed. */
  intervalMs: number;
  /** The longest wait between rounds while they fail. */
  maxIntervalMs: number;
}

export const DEFAULT_POLLING: PollingOptions = { intervalMs: 2_000, maxIntervalMs: 30_000 };

export interface PollingTransportDeps {
  fetcher: SnapshotFetcher;
  urls: SnapshotUrls;
  timers: Timers;
  random: RandomSource;
  options: PollingOptions;
  /** The topics to poll, read at every round so subscribe/unsubscribe take effect. */
  topics: () => readonly string[];
  onSnapshot: (frame: MessageFrame) => void;
  onError: (error: PushClientError) => void;
}

/**
 * The fallback while the WebSocket is down: every `intervalMs`, a conditional
 * GET of each topic's snapshot through its presigned S3 URL (no server of ours
 * is hit; an unchanged snapshot is a 304). A round with failures backs off with
 * full jitter from `intervalMs` up to `maxIntervalMs`, so a fleet of clients
 * facing a failing endpoint spreads out instead of hammering it in step.
 *
 * `stop()` bumps a generation: a round still awaiting its fetches when the
 * transport is stopped (the socket came back) neither applies nor reschedules.
 */
export class PollingTransport {
  private generation = 0;
  private running = false;
  private timer: unknown;
  private failedRounds = 0;

  constructor(private readonly deps: PollingTransportDeps) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** Start polling now (the first round runs at once: the data may already be stale). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.failedRounds = 0;
    const generation = ++this.generation;
    void this.round(generation);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    this.deps.timers.clearTimeout(this.timer);
  }

  private async round(generation: number): Promise<void> {
    const failed = await this.pollOnce(generation);
    if (generation !== this.generation) return;
    this.failedRounds = failed ? this.failedRounds + 1 : 0;
    this.timer = this.deps.timers.setTimeout(() => void this.round(generation), this.nextDelay());
  }

  private nextDelay(): number {
    const { intervalMs, maxIntervalMs } = this.deps.options;
    if (this.failedRounds === 0) return intervalMs;
    const backoff: BackoffOptions = { baseMs: intervalMs, capMs: maxIntervalMs - intervalMs };
    return intervalMs + fullJitterDelay(backoff, this.failedRounds - 1, this.deps.random);
  }

  /** One round over every topic; true when anything failed. Never throws. */
  private async pollOnce(generation: number): Promise<boolean> {
    const topics = this.deps.topics();
    if (topics.length === 0) return false;
    let failed = false;
    const report = (error: PushClientError) => {
      failed = true;
      if (generation === this.generation) this.deps.onError(error);
    };

    const first = await this.fetchAll(topics, generation, report);
    if (first.expired.length > 0 && generation === this.generation) {
      // Presigned URLs last minutes to hours; a long outage outlives them. Sign new ones and retry once.
      for (const topic of first.expired) this.deps.urls.forget(topic);
      const second = await this.fetchAll(first.expired, generation, report);
      for (const topic of second.expired) {
        this.deps.urls.forget(topic);
        report({ origin: "client", code: "SNAPSHOT_FAILED", topic, message: `a freshly signed ${topic} snapshot URL was refused (403)`, status: 403 });
      }
    }
    return failed;
  }

  private async fetchAll(
    topics: readonly string[],
    generation: number,
    report: (error: PushClientError) => void,
  ): Promise<{ expired: string[] }> {
    const { urls, error } = await this.deps.urls.resolve(topics);
    if (error) report(error);
    const expired: string[] = [];
    // Each topic on its own: one failing snapshot must not hold back the others.
    await Promise.all(
      [...urls].map(async ([topic, url]) => {
        const result = await this.deps.fetcher.get(topic, url);
        if (generation !== this.generation) return;
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

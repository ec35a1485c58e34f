/**
 * Resync: catching a topic up from its S3 snapshot when a subscribe ack says
 * the server is ahead of what the client applied (it was away, or subscribed
 * after the last push). It owns the snapshot fetch, its retries while the
 * snapshot still lags the ack's seq, and forgetting every resync in flight when
 * the client stops.
 */
import type { MessageFrame } from "@pushgate/core/wire";
import type { TimerHandle, Timers } from "./environment";
import type { PushClientError } from "./errors";
import type { SnapshotFetcher } from "./snapshotFetcher";
import type { SnapshotUrls } from "./snapshotUrls";

/** Resync attempts when the snapshot lags behind the ack's seq (the fan-out writes it a moment later). */
const RESYNC_RETRIES = 3;
const RESYNC_RETRY_MS = 1_000;

export interface ResyncDeps {
  fetcher: SnapshotFetcher;
  urls: SnapshotUrls;
  timers: Timers;
  lastAppliedSeq: (topic: string) => number;
  isHeld: (topic: string) => boolean;
  apply: (frame: MessageFrame) => void;
  onError: (error: PushClientError) => void;
}

export class Resync {
  /** Bumped by `stop()`: a resync still awaiting S3 from before it applies nothing and retries nothing. */
  private resyncRunId = 0;
  private readonly retryTimers = new Set<TimerHandle>();

  constructor(private readonly deps: ResyncDeps) {}

  /** Catch `topic` up to `targetSeq` from the snapshot at `url`, if the ack's seq is above what was applied. */
  catchUp(topic: string, url: string, targetSeq: number): void {
    if (targetSeq > this.deps.lastAppliedSeq(topic)) void this.fetch(topic, url, targetSeq, 0);
  }

  stop(): void {
    this.resyncRunId++;
    for (const timer of this.retryTimers) this.deps.timers.clearTimeout(timer);
    this.retryTimers.clear();
  }

  /**
   * Fetch the topic's snapshot and apply it if newer. The snapshot can lag the
   * ack's seq by a moment (the fan-out writes S3 alongside the push), so it is
   * retried a few times, with a fresh URL, until it reaches `targetSeq`.
   */
  private async fetch(topic: string, url: string, targetSeq: number, retry: number): Promise<void> {
    const runId = this.resyncRunId;
    const result = await this.deps.fetcher.get(topic, url);
    if (runId !== this.resyncRunId) return;
    switch (result.status) {
      case "fetched":
        this.deps.apply(result.frame);
        break;
      case "expired":
        this.deps.urls.forget(topic);
        break;
      case "failed":
        this.deps.onError(result.error);
        break;
      case "unchanged":
        // Still behind the ack after a 304: the ETag is of a body never applied here; the retry fetches it whole.
        if (this.deps.lastAppliedSeq(topic) < targetSeq) this.deps.fetcher.forget(topic);
        break;
      case "missing":
        break;
    }
    if (this.deps.lastAppliedSeq(topic) >= targetSeq || retry >= RESYNC_RETRIES || !this.deps.isHeld(topic)) return;
    const timer = this.deps.timers.setTimeout(
      () => {
        this.retryTimers.delete(timer);
        void (async () => {
          const { urls, error } = await this.deps.urls.resolve([topic]);
          if (runId !== this.resyncRunId) return;
          if (error) this.deps.onError(error);
          const next = urls.get(topic);
          if (next !== undefined) await this.fetch(topic, next, targetSeq, retry + 1);
        })();
      },
      RESYNC_RETRY_MS * 2 ** retry,
    );
    this.retryTimers.add(timer);
  }
}

/**
 * Publishing one update: the rule at the heart of the push path. A
 * publication is pushed to every subscriber of its topic (the fan-out) and
 * written as the topic's snapshot in S3 (the polling fallback and the resync
 * point); the stream record that caused it is acknowledged only when both are
 * done. The metrics of the fan-out are recorded here too, by topic kind.
 */
import { fanOut, type FanoutDeps, type FanoutResult } from "../fanout";
import type { Clock, Meter, SnapshotStore } from "../ports";
import type { MessageFrame } from "../protocol";
import { parseTopic } from "../topics";

export interface PublishDeps extends FanoutDeps {
  snapshots: SnapshotStore;
  clock: Clock;
  meter: Meter;
}

/**
 * The snapshot write runs alongside the fan-out rather than before it, which
 * takes an S3 PUT off every publication's latency. A record is still only
 * acknowledged once its snapshot is written: the write is awaited before
 * returning and its failure fails the record. What is given up: a client that
 * resyncs from the snapshot the instant it gets the push may still read the
 * previous state for those few milliseconds (the push itself carries the new one).
 */
export async function publish(deps: PublishDeps, frame: MessageFrame): Promise<FanoutResult> {
  const snapshot = deps.snapshots.putSnapshot(frame);
  // Awaited below in every path; this only keeps a failure from being "unhandled" while the fan-out runs.
  snapshot.catch(() => {});
  const started = deps.clock.now();
  let result: FanoutResult;
  let fanoutMs: number;
  try {
    result = await fanOut(frame, deps);
    fanoutMs = deps.clock.now() - started;
  } finally {
    // Also when the fan-out failed: the record is retried either way, and no write is left running behind it.
    await snapshot;
  }
  const byKind = { topicKind: parseTopic(frame.topic).type };
  deps.meter.count("Publications", 1, byKind);
  deps.meter.count("MessagesPushed", result.delivered, byKind);
  deps.meter.count("GoneConnections", result.gone, byKind);
  deps.meter.count("SlowReaders", result.full, byKind);
  deps.meter.count("PushFailures", result.failed, byKind);
  deps.meter.milliseconds("FanoutDurationMs", fanoutMs, byKind);
  return result;
}

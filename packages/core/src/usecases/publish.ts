/**
 * Publishing one update: the rule at the heart of the push path. A
 * publication is pushed to every subscriber of its topic (the fan-out) and
 * written as the topic's snapshot in S3 (the polling fallback and the resync
 * point); the stream record that caused it is acknowledged only when both are
 * done. A big audience is pushed by the fan-out task queue instead
 * (usecases/fanout-tasks.ts): then "done" is "its tasks are enqueued". The
 * metrics of the fan-out are recorded here too, by topic kind.
 */
import { PublicationIncompleteError } from "../errors";
import { fanOut, type FanoutDeps, type FanoutResult, type FanoutScope } from "../fanout";
import type { Clock, FanoutTaskQueue, Meter, SnapshotStore } from "../ports";
import type { MessageFrame } from "../protocol";
import { parseTopic } from "../topics";
import { audienceOf, tasksOf, type SplitPlan } from "./fanout-tasks";

export interface PublishDeps extends FanoutDeps {
  snapshots: SnapshotStore;
  clock: Clock;
  meter: Meter;
  /** With the queue, an audience above `splitAbove` is handed to it as tasks for `workers`; without, every fan-out stays here. */
  split?: SplitPlan & { tasks: FanoutTaskQueue };
}

/** How long the invocation has, and how much of it to keep: the fan-out stops taking subscribers past that. */
export type PublishScope = Pick<FanoutScope, "deadline" | "reserveMs">;

export type PublishResult = FanoutResult & { tasks?: number };

/**
 * The snapshot write runs alongside the fan-out rather than before it, which
 * takes an S3 PUT off every publication's latency. A record is still only
 * acknowledged once its snapshot is written: the write is awaited before
 * returning and its failure fails the record. What is given up: a client that
 * resyncs from the snapshot the instant it gets the push may still read the
 * previous state for those few milliseconds (the push itself carries the new one).
 */
export async function publish(deps: PublishDeps, frame: MessageFrame, scope: PublishScope = {}): Promise<PublishResult> {
  const snapshot = deps.snapshots.putSnapshot(frame);
  // Awaited below in every path; this only keeps a failure from being "unhandled" while the fan-out runs.
  snapshot.catch(() => {});
  const started = deps.clock.now();
  const byKind = { topicKind: parseTopic(frame.topic).type };
  let result: PublishResult;
  let fanoutMs: number;
  try {
    result = await pushOrSplit(deps, frame, scope);
    fanoutMs = deps.clock.now() - started;
  } finally {
    // Also when the fan-out failed: the record is retried either way, and no write is left running behind it.
    await snapshot;
  }
  deps.meter.count("Publications", 1, byKind);
  if (result.tasks !== undefined) {
    deps.meter.count("FanoutTasks", result.tasks, byKind);
    return result;
  }
  deps.meter.count("MessagesPushed", result.delivered, byKind);
  deps.meter.count("GoneConnections", result.gone, byKind);
  deps.meter.count("SlowReaders", result.full, byKind);
  deps.meter.count("PushFailures", result.failed, byKind);
  deps.meter.milliseconds("FanoutDurationMs", fanoutMs, byKind);
  return result;
}

async function pushOrSplit(deps: PublishDeps, frame: MessageFrame, scope: PublishScope): Promise<PublishResult> {
  if (!deps.split) return pushHere(deps, frame, scope);
  const audience = await audienceOf(deps.subscriptions, frame.topic, deps.split);
  if (audience.size === "small") return pushHere(deps, frame, { ...scope, sources: audience.sources });
  await deps.split.tasks.enqueue(tasksOf(frame, audience.tasks));
  return { delivered: 0, gone: 0, full: 0, failed: 0, unavailable: 0, skipped: 0, tasks: audience.tasks.length };
}

async function pushHere(deps: PublishDeps, frame: MessageFrame, scope: FanoutScope): Promise<PublishResult> {
  const result = await fanOut(frame, deps, scope);
  // Several shards at once have no single cursor: the record is retried, and this instance's memo skips whom it reached.
  if (result.stopped) throw new PublicationIncompleteError(frame.topic, frame.seq, undefined, "the invocation ran short of time");
  return result;
}

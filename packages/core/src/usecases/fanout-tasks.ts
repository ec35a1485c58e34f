/**
 * Fan-out across invocations: when a publication is too big for the stream
 * consumer, and how one task of it is pushed.
 *
 * The stream consumer peeks at the first page of every listed shard of the
 * topic (a page of at most `splitAbove + 1` items, the pages a small topic
 * needs anyway). A small audience is pushed from those pages at once; a big
 * one becomes one task per non-empty shard on the task queue, and the stream
 * record is done as soon as they are enqueued, so a big game never holds back
 * the other topics of its stream shard.
 *
 * A task pushes one shard in connectionId order. Its invocation watches the
 * deadline: with too little time left it stops taking subscribers, and
 * re-enqueues the rest as a new task whose `after` is the last subscriber it
 * took, then reports the message done. Progress thus lives in the message,
 * not in memory: a retry on any instance resumes at the cursor, and only the
 * pushes in flight at a crash are sent twice (at least once, clients drop by seq).
 */
import { isMessageFrame, type MessageFrame } from "../protocol";
import type { Deadline, FanoutTask, FanoutTaskQueue, Log, Subscription, SubscriptionStore } from "../ports";
import { fanOut, type FanoutDeps, type FanoutResult } from "../fanout";
import { listedShards } from "../shards";

export type Audience =
  /** Every subscriber's pages, already read: push them here. */
  | { size: "small"; sources: AsyncIterable<Subscription[]>[] }
  /** Too many for one invocation: these shards have subscribers and become tasks. */
  | { size: "big"; shards: number[] };

/**
 * The first page of each listed shard, in parallel. Small when no shard's
 * first page is full and they hold `splitAbove` subscribers or fewer; then the
 * pages read are the whole audience (a page shorter than its limit is the
 * last, so the rest of each source costs no query).
 */
export async function audienceOf(subscriptions: SubscriptionStore, topic: string, splitAbove: number): Promise<Audience> {
  const pageSize = splitAbove + 1;
  const peeked = await Promise.all(
    Array.from({ length: listedShards(topic, subscriptions.shardCounts) }, async (_, shard) => {
      const iterator = subscriptions.listShard(topic, shard, { pageSize })[Symbol.asyncIterator]();
      const first = await iterator.next();
      return { shard, iterator, page: first.done ? [] : first.value };
    }),
  );
  const total = peeked.reduce((sum, { page }) => sum + page.length, 0);
  if (total <= splitAbove) {
    return { size: "small", sources: peeked.map(({ iterator, page }) => prepend(page, iterator)) };
  }
  await Promise.all(peeked.map(({ iterator }) => iterator.return?.()));
  return { size: "big", shards: peeked.filter(({ page }) => page.length > 0).map(({ shard }) => shard) };
}

async function* prepend<T>(first: T[], rest: AsyncIterator<T[]>): AsyncGenerator<T[]> {
  if (first.length > 0) yield first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/** One message of the task queue as the consumer receives it. */
export interface TaskMessage {
  /** SQS messageId: what a batch item failure names. */
  id: string;
  body: string;
}

export interface TaskDeps extends FanoutDeps {
  tasks: FanoutTaskQueue;
  log: Log;
}

export interface TaskRun {
  /** Message ids to report as batch item failures: retried after the visibility timeout, then the DLQ. */
  failed: string[];
  /** Continuations enqueued because the deadline came first. */
  continued: number;
  results: FanoutResult[];
}

export const encodeTask = (task: FanoutTask): string => JSON.stringify(task);

/** A task message, checked: a malformed one is a poison message (reported, ends in the DLQ), never pushed. */
export function decodeTask(body: string): FanoutTask {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new Error("fan-out task is not JSON; it was not written by usecases/fanout-tasks.ts encodeTask");
  }
  const task = raw as Partial<FanoutTask> | null;
  if (
    !task ||
    !isMessageFrame(task.frame) ||
    !Number.isInteger(task.shard) ||
    (task.shard as number) < 0 ||
    (task.after !== undefined && typeof task.after !== "string")
  ) {
    throw new Error("fan-out task lacks frame, shard or a string cursor; it was not written by usecases/fanout-tasks.ts encodeTask");
  }
  return { frame: task.frame as MessageFrame, shard: task.shard as number, ...(task.after !== undefined && { after: task.after }) };
}

/**
 * Pushes each task of a batch in turn, within the invocation's deadline.
 * A task that cannot start or finish in time goes back on the queue with its
 * cursor; one that fails (the Management API unavailable, a failed query, a
 * poison body) is reported failed, so SQS hands it out again after the
 * visibility timeout (the instance's DeliveryMemo skips whom it reached).
 */
export async function runFanoutTasks(
  deps: TaskDeps,
  messages: TaskMessage[],
  scope: { deadline: Deadline; reserveMs: number },
): Promise<TaskRun> {
  const run: TaskRun = { failed: [], continued: 0, results: [] };
  const outOfTime = () => scope.deadline.remainingMs() < scope.reserveMs;
  for (const message of messages) {
    try {
      const task = decodeTask(message.body);
      if (outOfTime()) {
        await deps.tasks.enqueue([task]);
        run.continued++;
        continue;
      }
      const source = deps.subscriptions.listShard(task.frame.topic, task.shard, task.after === undefined ? {} : { after: task.after });
      const result = await fanOut(task.frame, deps, { sources: [source], ...scope });
      run.results.push(result);
      if (result.stopped) {
        const after = result.stopped.after ?? task.after;
        await deps.tasks.enqueue([{ frame: task.frame, shard: task.shard, ...(after !== undefined && { after }) }]);
        run.continued++;
      }
    } catch (error) {
      run.failed.push(message.id);
      deps.log.error("fan-out task failed; it is reported for retry and ends in the dead-letter queue once its receives run out", {
        messageId: message.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return run;
}

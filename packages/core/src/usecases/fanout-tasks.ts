/**
 * Fan-out across invocations: when a publication is too big for the stream
 * consumer, how it is cut into tasks, and how one task is pushed.
 *
 * The stream consumer peeks at the first page of every listed shard of the
 * topic, in parallel (`peekPageSize`). A small audience is pushed from those
 * pages at once; a big one becomes tasks on the task queue, and the stream
 * record is done as soon as they are enqueued, so a big game never holds back
 * the other topics of its stream shard.
 *
 * Tasks are sized for the workers (the queue consumer's maxConcurrency): a
 * shard whose first page is full is big enough to be a task alone (a game's
 * 64 shards of a 1,000,000-fan audience are 64 tasks of ~15,600, eight waves
 * of eight workers); shards read whole are grouped into tasks of at least a
 * worker's share of them (and of at least `minTaskSize`), so 3,000 fans over
 * 64 shards are 8 tasks of ~375, one wave, not 64 tasks of ~47 that would
 * each pay a queue hop.
 *
 * A task pushes its shards one after the other, each in connectionId order.
 * Its invocation watches the deadline: with too little time left it stops
 * taking subscribers, and re-enqueues the rest as a new task whose `after` is
 * the last subscriber it took (and whose `more` are the shards not started),
 * then reports the message done. Progress thus lives in the message, not in
 * memory: a retry on any instance resumes at the cursor, and only the pushes
 * in flight at a crash are sent twice (at least once, clients drop by seq).
 */
import { isMessageFrame, type MessageFrame } from "../protocol";
import type { Deadline, FanoutTask, FanoutTaskQueue, Log, Subscription, SubscriptionStore } from "../ports";
import { fanOut, type FanoutDeps, type FanoutResult } from "../fanout";
import { listedShards } from "../shards";

export type Audience =
  /** Every subscriber's pages, already read: push them here. */
  | { size: "small"; sources: AsyncIterable<Subscription[]>[] }
  /** Too many for one invocation: each group of shards (in the order to push them) becomes a task. */
  | { size: "big"; tasks: number[][] };

/** When to split, and between how many workers (the task queue's maxConcurrency). */
export interface SplitPlan {
  splitAbove: number;
  workers: number;
}

/** The smallest task worth its queue hop: a worker's share of the smallest audience that is split (2,000 / 8 = 250). */
const minTaskSize = ({ splitAbove, workers }: SplitPlan): number => Math.ceil(splitAbove / workers);

/**
 * How many subscribers of each shard the peek reads. The pages must be
 * complete for any audience of `splitAbove` or fewer spread evenly (twice an
 * even share, so hashing's unevenness does not send a small topic to the
 * queue) and a full page must say "task-sized": at least `minTaskSize`. Never
 * more than `splitAbove + 1`, which already tells big from small alone; so a
 * 1,000,000-fan game with 64 shards peeks at 64 x 250 subscribers, not 64 x 2,001.
 */
export function peekPageSize(plan: SplitPlan, shards: number): number {
  return Math.min(plan.splitAbove + 1, Math.max(minTaskSize(plan), Math.ceil((2 * (plan.splitAbove + 1)) / shards)));
}

/**
 * The first page of each listed shard, in parallel. Small when no shard's
 * first page is full and they hold `splitAbove` subscribers or fewer; then the
 * pages read are the whole audience (a page shorter than its limit is the
 * last, so the rest of each source costs no query). A full page says that
 * shard alone is worth a task, whatever the total.
 */
export async function audienceOf(subscriptions: SubscriptionStore, topic: string, plan: SplitPlan): Promise<Audience> {
  const shards = listedShards(topic, subscriptions.shardCounts);
  const pageSize = peekPageSize(plan, shards);
  const peeked = await Promise.all(
    Array.from({ length: shards }, async (_, shard) => {
      const iterator = subscriptions.listShard(topic, shard, { pageSize })[Symbol.asyncIterator]();
      const first = await iterator.next();
      return { shard, iterator, page: first.done ? [] : first.value };
    }),
  );
  const total = peeked.reduce((sum, { page }) => sum + page.length, 0);
  const full = (page: Subscription[]) => page.length >= pageSize;
  if (total <= plan.splitAbove && !peeked.some(({ page }) => full(page))) {
    return { size: "small", sources: peeked.map(({ iterator, page }) => prepend(page, iterator)) };
  }
  await Promise.all(peeked.map(({ iterator }) => iterator.return?.()));
  return { size: "big", tasks: groupShards(peeked, plan, full) };
}

/**
 * Full shards alone; shards read whole, in order, cut into as many groups of
 * about equal size as the workers (fewer when that would make a group smaller
 * than `minTaskSize`), each cut where the running total passes its share.
 */
function groupShards(
  peeked: { shard: number; page: Subscription[] }[],
  plan: SplitPlan,
  full: (page: Subscription[]) => boolean,
): number[][] {
  const alone = peeked.filter(({ page }) => full(page)).map(({ shard }) => [shard]);
  const whole = peeked.filter(({ page }) => page.length > 0 && !full(page));
  const wholeTotal = whole.reduce((sum, { page }) => sum + page.length, 0);
  const groups = Math.max(1, Math.min(plan.workers, Math.floor(wholeTotal / minTaskSize(plan))));
  const grouped: number[][] = [];
  let running = 0;
  for (const { shard, page } of whole) {
    if (grouped.length === 0 || running >= (grouped.length * wholeTotal) / groups) grouped.push([]);
    grouped.at(-1)!.push(shard);
    running += page.length;
  }
  return [...alone, ...grouped];
}

/** The tasks of a big audience, as enqueued: a group's first shard is where it starts, the rest follow. */
export const tasksOf = (frame: MessageFrame, groups: number[][]): FanoutTask[] =>
  groups.map(([shard = 0, ...more]) => ({ frame, shard, ...(more.length > 0 && { more }) }));

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
  const isShard = (value: unknown) => Number.isInteger(value) && (value as number) >= 0;
  if (
    !task ||
    !isMessageFrame(task.frame) ||
    !isShard(task.shard) ||
    (task.after !== undefined && typeof task.after !== "string") ||
    (task.more !== undefined && !(Array.isArray(task.more) && task.more.every(isShard)))
  ) {
    throw new Error(
      "fan-out task lacks frame, shard, a string cursor or a list of shards; it was not written by usecases/fanout-tasks.ts encodeTask",
    );
  }
  return {
    frame: task.frame as MessageFrame,
    shard: task.shard as number,
    ...(task.after !== undefined && { after: task.after }),
    ...(task.more !== undefined && task.more.length > 0 && { more: task.more }),
  };
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
      const left = await pushTask(deps, task, scope, outOfTime, run.results);
      if (left) {
        await deps.tasks.enqueue([left]);
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

/** Pushes a task's shards in turn; answers what is left when the deadline came first (undefined: all done). */
async function pushTask(
  deps: TaskDeps,
  task: FanoutTask,
  scope: { deadline: Deadline; reserveMs: number },
  outOfTime: () => boolean,
  results: FanoutResult[],
): Promise<FanoutTask | undefined> {
  const shards = [task.shard, ...(task.more ?? [])];
  let after = task.after;
  for (const [index, shard] of shards.entries()) {
    const rest = shards.slice(index + 1);
    const remainder = (cursor: string | undefined): FanoutTask => ({
      frame: task.frame,
      shard,
      ...(cursor !== undefined && { after: cursor }),
      ...(rest.length > 0 && { more: rest }),
    });
    if (outOfTime()) return remainder(after);
    const source = deps.subscriptions.listShard(task.frame.topic, shard, after === undefined ? {} : { after });
    const result = await fanOut(task.frame, deps, { sources: [source], ...scope });
    results.push(result);
    if (result.stopped) return remainder(result.stopped.after ?? after);
    after = undefined;
  }
  return undefined;
}

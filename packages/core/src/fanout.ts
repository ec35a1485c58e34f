/**
 * Fan-out of one publication to every subscriber of its topic.
 *
 * The shards of the topic are queried in parallel and their pages feed a
 * fixed pool of workers, so at most `concurrency` PostToConnection calls are in
 * flight whatever the audience. Each connection's outcome is its own: a gone
 * connection is forgotten (connection and subscriptions deleted), any other
 * failure is logged and counted, and neither stops the others. There is no
 * Promise.all over the audience: one failure must not fail (and so retry and
 * duplicate) the push to everyone else.
 */
import type { MessageFrame } from "./protocol";
import type { Gateway, Log, SubscriptionStore } from "./ports";

export interface FanoutDeps {
  subscriptions: SubscriptionStore;
  gateway: Gateway;
  /** Deletes a connection that the gateway reported gone, with its subscriptions. */
  forgetConnection(connectionId: string): Promise<void>;
  log: Log;
  concurrency: number;
}

export interface FanoutResult {
  /** Subscribers the frame was handed to. */
  delivered: number;
  /** Subscribers that were gone and have been removed. */
  gone: number;
  /** Subscribers whose push failed otherwise (logged; not retried). */
  failed: number;
}

export async function fanOut(frame: MessageFrame, deps: FanoutDeps): Promise<FanoutResult> {
  const data = JSON.stringify(frame);
  const result: FanoutResult = { delivered: 0, gone: 0, failed: 0 };
  const shards = Array.from({ length: deps.subscriptions.shardCount }, (_, shard) =>
    deps.subscriptions.listShard(frame.topic, shard),
  );
  const connectionIds = connectionIdsOf(mergePages(shards));

  async function worker(): Promise<void> {
    // Workers share one iterator: an async generator queues concurrent next() calls.
    for (let next = await connectionIds.next(); !next.done; next = await connectionIds.next()) {
      await pushTo(next.value);
    }
  }

  async function pushTo(connectionId: string): Promise<void> {
    try {
      if ((await deps.gateway.post(connectionId, data)) === "ok") {
        result.delivered++;
        return;
      }
      result.gone++;
      await deps.forgetConnection(connectionId);
    } catch (error) {
      result.failed++;
      deps.log.warn("push to one connection failed; the others continue", {
        connectionId,
        topic: frame.topic,
        seq: frame.seq,
        error: String(error),
      });
    }
  }

  const workers = Array.from({ length: Math.max(1, deps.concurrency) }, worker);
  // The workers, not the audience: a failed subscriber query (the only throw
  // that reaches here) must fail the publication so the record is retried.
  await Promise.all(workers);
  return result;
}

async function* connectionIdsOf(pages: AsyncIterable<{ connectionId: string }[]>): AsyncGenerator<string> {
  for await (const page of pages) {
    for (const subscription of page) yield subscription.connectionId;
  }
}

/** Interleaves several paginated sources as their pages arrive, at most one page ahead per source. */
export async function* mergePages<T>(sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  type Settled = { index: number; step?: IteratorResult<T>; error?: unknown };
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<Settled>>();
  const pull = (index: number) =>
    pending.set(
      index,
      iterators[index]!.next().then(
        (step) => ({ index, step }),
        (error: unknown) => ({ index, error }),
      ),
    );
  iterators.forEach((_, index) => pull(index));
  while (pending.size > 0) {
    const settled = await Promise.race(pending.values());
    pending.delete(settled.index);
    if (settled.error !== undefined) throw settled.error;
    if (settled.step!.done) continue;
    pull(settled.index);
    yield settled.step!.value;
  }
}

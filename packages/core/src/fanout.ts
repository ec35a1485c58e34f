/**
 * Fan-out of one publication to every subscriber of its topic.
 *
 * The shards of the topic are queried in parallel and their pages feed a
 * fixed pool of workers, so at most `concurrency` PostToConnection calls are in
 * flight whatever the audience. Each connection's outcome is its own: a gone
 * connection is forgotten (connection and subscriptions deleted), a connection
 * whose client side buffer is full (it stopped reading) misses this push and
 * nothing else happens to the publication, any other failure is logged and
 * counted, and none of them stops the others. There is no
 * Promise.all over the audience: one failure must not fail (and so retry and
 * duplicate) the push to everyone else.
 */
import { isGatewayUnavailable, PublicationIncompleteError } from "./errors";
import type { MessageFrame } from "./protocol";
import type { Clock, Deadline, Gateway, Log, Subscription, SubscriptionStore } from "./ports";
import { listedShards } from "./shards";

export interface FanoutDeps {
  subscriptions: SubscriptionStore;
  /** Subscriptions past their `expiresAt` are not pushed to (TTL deletion lags up to 48 h on AWS). */
  clock: Clock;
  gateway: Gateway;
  /** Deletes a connection that the gateway reported gone, with its subscriptions. */
  forgetConnection(connectionId: string): Promise<void>;
  log: Log;
  concurrency: number;
  /** Who this instance already reached with a publication, so a retried record only pushes to the rest. */
  memo?: DeliveryMemo;
}

/** Where the audience comes from and when to stop taking from it. */
export interface FanoutScope {
  /** The pages to push to; default: every listed shard of the topic. */
  sources?: AsyncIterable<Subscription[]>[];
  /** Workers stop taking subscribers once `deadline.remainingMs()` is under `reserveMs`; what they took is finished. */
  deadline?: Deadline;
  reserveMs?: number;
}

export interface FanoutResult {
  /** Subscribers the frame was handed to. */
  delivered: number;
  /** Subscribers that were gone, or past their expiry, and have been removed. */
  gone: number;
  /**
   * Subscribers not reading, whose client side buffer was full: this push is
   * dropped for them alone (no retry of the publication, no breaker failure:
   * the downstream is healthy). The gateway closes one that stays full, and the
   * client resyncs from the snapshot when it reconnects.
   */
  full: number;
  /** Subscribers whose push failed (logged). */
  failed: number;
  /** Of those, the ones failed because the downstream was unavailable (429/5xx/circuit open): the publication is retried for them. */
  unavailable: number;
  /** Subscribers skipped because this instance had already reached them with this publication. */
  skipped: number;
  /**
   * Set when the deadline stopped the workers before the audience ended: the
   * last subscriber taken (undefined: none), in source order. With a single
   * source (one shard, in connectionId order) everything up to it is handled
   * and everything after it is not: the cursor of the remainder.
   */
  stopped?: { after: string | undefined };
}

export async function fanOut(frame: MessageFrame, deps: FanoutDeps, scope: FanoutScope = {}): Promise<FanoutResult> {
  const data = JSON.stringify(frame);
  const result: FanoutResult = { delivered: 0, gone: 0, full: 0, failed: 0, unavailable: 0, skipped: 0 };
  const reached = deps.memo?.reached(frame);
  const sources =
    scope.sources ??
    Array.from({ length: listedShards(frame.topic, deps.subscriptions.shardCounts) }, (_, shard) =>
      deps.subscriptions.listShard(frame.topic, shard),
    );
  const subscribers = subscriptionsOf(mergePages(sources));
  const nowSeconds = deps.clock.now() / 1000;
  const { deadline, reserveMs = 0 } = scope;
  let lastTaken: string | undefined;
  let stopped = false;
  const outOfTime = () => (stopped ||= deadline !== undefined && deadline.remainingMs() < reserveMs);

  async function worker(): Promise<void> {
    // Workers share one iterator: an async generator queues concurrent next() calls, and resolves
    // them in source order, so `lastTaken` is the cursor of everything taken so far.
    while (!outOfTime()) {
      const next = await subscribers.next();
      if (next.done) return;
      lastTaken = next.value.connectionId;
      await pushTo(next.value);
    }
  }

  /**
   * The exact item read goes, with its connection: when the connection item
   * is already gone (a subscribe racing a disconnect, TTL order), forgetting
   * the connection alone deletes nothing and the item would be pushed to on
   * every publication until TTL.
   */
  async function forget(subscription: Subscription): Promise<void> {
    result.gone++;
    await Promise.all([deps.forgetConnection(subscription.connectionId), deps.subscriptions.deleteAll([subscription])]);
  }

  async function pushTo(subscription: Subscription): Promise<void> {
    const { connectionId } = subscription;
    if (subscription.expiresAt < nowSeconds) {
      await forget(subscription);
      return;
    }
    if (reached?.has(connectionId)) {
      result.skipped++;
      return;
    }
    try {
      const outcome = await deps.gateway.post(connectionId, data);
      if (outcome === "ok") {
        result.delivered++;
        reached?.add(connectionId);
        return;
      }
      if (outcome === "full") {
        result.full++;
        deps.log.warn("connection not reading (client side buffer full): this push is dropped for it alone; the others continue", {
          connectionId,
          topic: frame.topic,
          seq: frame.seq,
        });
        return;
      }
      await forget(subscription);
    } catch (error) {
      result.failed++;
      if (isGatewayUnavailable(error)) {
        result.unavailable++;
        return;
      }
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
  if (stopped) {
    // Pages already fetched but not taken are left to the remainder; end the queries.
    await subscribers.return(undefined);
    result.stopped = { after: lastTaken };
  }
  if (result.unavailable > 0) {
    deps.log.warn("publication incomplete: the Management API is unavailable; the record is reported for retry", {
      topic: frame.topic,
      seq: frame.seq,
      delivered: result.delivered,
      skipped: result.skipped,
      unavailable: result.unavailable,
    });
    throw new PublicationIncompleteError(frame.topic, frame.seq, result.unavailable);
  }
  return result;
}

/**
 * Per instance, bounded: the connections each recent publication reached. A
 * retried record lands on the same instance most of the time (one poller per
 * shard); on another instance the memo is empty and everyone is pushed again,
 * which clients drop by seq (delivery is at least once).
 */
export class DeliveryMemo {
  private readonly byPublication = new Map<string, Set<string>>();
  constructor(private readonly maxPublications = 200) {}

  reached(frame: Pick<MessageFrame, "topic" | "seq">): Set<string> {
    const key = `${frame.topic}#${frame.seq}`;
    let set = this.byPublication.get(key);
    if (!set) {
      set = new Set();
      this.byPublication.set(key, set);
      if (this.byPublication.size > this.maxPublications) this.byPublication.delete(this.byPublication.keys().next().value!);
    }
    return set;
  }
}

async function* subscriptionsOf(pages: AsyncIterable<Subscription[]>): AsyncGenerator<Subscription> {
  for await (const page of pages) yield* page;
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
  for (const index of iterators.keys()) pull(index);
  while (pending.size > 0) {
    const settled = await Promise.race(pending.values());
    pending.delete(settled.index);
    if (settled.error !== undefined) throw settled.error;
    if (settled.step!.done) continue;
    pull(settled.index);
    yield settled.step!.value;
  }
}

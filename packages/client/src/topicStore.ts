import type { DataByKind, KindOfTopic, MessageFrame, MessageKind } from "@pushgate/core/wire";
import type { PushClientError } from "./errors";
import { ExternalStore, type ReadableStore } from "./externalStore";

/** Where a topic's current value came from: a pushed frame or a polled/resynced S3 snapshot. */
export type UpdateSource = "push" | "snapshot";

export type { KindOfTopic };

/**
 * One topic's data status, separate from the connection status (as TanStack
 * Query separates fetch status from data): a topic can be `ready` with the last
 * known score while the connection is `polling` or `closed`.
 *
 * - `pending`: nothing received yet (`seq` 0, `data` undefined).
 * - `ready`: `data` is the newest publication seen (highest `seq`).
 * - `error`: the server refused the topic (FORBIDDEN, INVALID_TOPIC); any
 *   earlier data is kept.
 */
export interface TopicSnapshot<K extends MessageKind = MessageKind> {
  topic: string;
  status: "pending" | "ready" | "error";
  /** The seq of `data`; 0 before the first publication. */
  seq: number;
  kind: K | undefined;
  data: DataByKind[K] | undefined;
  /** ISO-8601 time of the source write. */
  ts: string | undefined;
  source: UpdateSource | undefined;
  error: PushClientError | undefined;
}

/** A topic before anything arrived: what a store holds first, and what an app shows for no topic at all. */
export function pendingTopicSnapshot(topic: string): TopicSnapshot<never> {
  return { topic, status: "pending", seq: 0, kind: undefined, data: undefined, ts: undefined, source: undefined, error: undefined };
}

export type ApplyOutcome = { applied: true } | { applied: false; lastSeq: number };

/**
 * Every topic's store, created on first use. `apply` is the one place the
 * protocol's ordering rule lives: a frame is applied only when its seq is above
 * the last applied one, whichever transport it came from; delivery is at least
 * once and the socket, a resync and the poller can all bring the same seq.
 */
export class TopicStores {
  private readonly stores = new Map<string, ExternalStore<TopicSnapshot>>();

  store<T extends string>(topic: T): ReadableStore<TopicSnapshot<KindOfTopic<T>>> {
    return this.storeFor(topic) as unknown as ReadableStore<TopicSnapshot<KindOfTopic<T>>>;
  }

  lastSeq(topic: string): number {
    return this.stores.get(topic)?.getSnapshot().seq ?? 0;
  }

  apply(frame: MessageFrame, source: UpdateSource): ApplyOutcome {
    const store = this.storeFor(frame.topic);
    const current = store.getSnapshot();
    if (frame.seq <= current.seq) return { applied: false, lastSeq: current.seq };
    store.set({
      topic: frame.topic,
      status: "ready",
      seq: frame.seq,
      kind: frame.kind,
      data: frame.data,
      ts: frame.ts,
      source,
      error: undefined,
    });
    return { applied: true };
  }

  fail(topic: string, error: PushClientError): void {
    const store = this.storeFor(topic);
    store.set({ ...store.getSnapshot(), status: "error", error });
  }

  /** A refused topic asked for again: back to pending (or ready, if it has data). */
  clearError(topic: string): void {
    const store = this.stores.get(topic);
    const current = store?.getSnapshot();
    if (!store || !current || current.status !== "error") return;
    store.set({ ...current, status: current.seq > 0 ? "ready" : "pending", error: undefined });
  }

  private storeFor(topic: string): ExternalStore<TopicSnapshot> {
    let store = this.stores.get(topic);
    if (!store) {
      store = new ExternalStore<TopicSnapshot>(pendingTopicSnapshot(topic));
      this.stores.set(topic, store);
    }
    return store;
  }
}

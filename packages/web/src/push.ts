/**
 * The slice of the push client the web app depends on.
 *
 * The views and hooks are written against these types, not against
 * `@pushgate/client` directly, so that component tests can drive them with a
 * tiny in-memory store and the app keeps one adapter (`src/client-adapter.ts`)
 * as the only place that knows the real client's shape.
 */
import type { DataByKind, MessageKind } from "@pushgate/core/protocol";

/** A framework-free observable value, the shape `useSyncExternalStore` wants. */
export interface ReadableStore<T> {
  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Must return the same object until the value changes (React compares by identity). */
  getSnapshot(): T;
}

export type ConnectionState = "connecting" | "live" | "reconnecting" | "polling" | "closed";

export interface ConnectionSnapshot {
  state: ConnectionState;
  /** Why the client is closed: never started (idle), the app called close() (client), or the device went offline. */
  reason?: "idle" | "client" | "offline";
  /** The failure that led to this state, if one did. */
  lastError?: TopicError;
  /** Epoch milliseconds of the next WebSocket attempt while reconnecting (and, in the background, while polling). */
  nextRetryAt?: number;
  /** Failed attempts since the last time the socket was live. */
  attempt: number;
}

/** Where the latest value of a topic came from: a pushed frame, or an S3 snapshot (resync or polling). */
export type TopicSource = "push" | "snapshot";

export interface TopicError {
  code: string;
  message: string;
}

export interface TopicSnapshot<D = unknown> {
  /** Undefined until the first publication (or snapshot) arrives. */
  data: D | undefined;
  /** The seq of `data`; 0 before anything arrived. */
  seq: number;
  kind?: MessageKind;
  /** ISO-8601 time of the source write. */
  ts?: string;
  source?: TopicSource;
  /** Set when the server refused the topic (e.g. FORBIDDEN); the fan should be told. */
  error?: TopicError;
}

/**
 * What the app needs of `@pushgate/client`'s PushClient; the real client
 * satisfies it structurally (checked in src/start.ts), the tests use a fake.
 */
export interface PushClient {
  readonly connection: ReadableStore<ConnectionSnapshot>;
  /**
   * The store of one topic, the same store for the same name. A listener on
   * it holds the topic on the wire; when the last listener leaves, the client
   * unsubscribes (a microtask later, so a React remount costs nothing).
   */
  topic(name: string): ReadableStore<TopicSnapshot>;
}

/** The data type each topic family carries, for typed `useTopic` calls. */
export type TopicData<K extends MessageKind> = DataByKind[K];

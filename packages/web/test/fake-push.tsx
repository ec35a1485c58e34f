/**
 * An in-memory stand-in for the push client's stores, for component tests:
 * the views are under test here, not the client, so the test decides exactly
 * what the stores say and when they change.
 */
import { act, render, type RenderResult } from "@testing-library/react";
import type { ReactNode } from "react";
import type { FanApi } from "../src/api.js";
import { PushProvider } from "../src/push-context.js";
import { pendingTopicSnapshot, type ConnectionSnapshot, type Freshness, type ReadableStore, type TopicSnapshot } from "@pushgate/client";
import type { PushStores } from "../src/push-context.js";

class TestStore<T> implements ReadableStore<T> {
  readonly listeners = new Set<() => void>();
  constructor(private value: T) {}
  subscribe(listener: () => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  getSnapshot() {
    return this.value;
  }
  set(next: T) {
    this.value = next;
    for (const listener of [...this.listeners]) listener();
  }
}

/** A connection snapshot as the client makes it, with what a test sets on top. */
export function connection(snapshot: Partial<ConnectionSnapshot> & Pick<ConnectionSnapshot, "state">): ConnectionSnapshot {
  return { attempt: 0, nextRetryAt: undefined, since: 0, reason: undefined, lastError: undefined, ...snapshot };
}

export class FakePushClient implements PushStores {
  readonly connection = new TestStore<ConnectionSnapshot>(connection({ state: "live" }));
  readonly freshness = new TestStore<Freshness>({ confirmedAt: undefined });
  /** How often the fan asked to retry now. */
  reconnectNowCalls = 0;

  reconnectNow(): void {
    this.reconnectNowCalls++;
  }
  private readonly topics = new Map<string, TestStore<TopicSnapshot>>();

  // The client's own signature, so the views' topic-kind inference is checked against the fake too.
  topic<T extends string>(name: T): ReturnType<PushStores["topic"]> & ReadableStore<TopicSnapshot<never>> {
    return this.store(name) as never;
  }

  private store(name: string): TestStore<TopicSnapshot> {
    let store = this.topics.get(name);
    if (!store) {
      store = new TestStore<TopicSnapshot>(pendingTopicSnapshot(name));
      this.topics.set(name, store);
    }
    return store;
  }

  /** Listeners on a topic's store: what the real client counts to hold the topic on the wire. */
  holders(name: string): number {
    return this.topics.get(name)?.listeners.size ?? 0;
  }

  totalHolders(): number {
    return [...this.topics.values()].reduce((sum, store) => sum + store.listeners.size, 0);
  }

  setConnection(snapshot: Partial<ConnectionSnapshot> & Pick<ConnectionSnapshot, "state">) {
    act(() => this.connection.set(connection(snapshot)));
  }

  /** The client confirmed its data as current at `at` (epoch ms). */
  confirm(at: number) {
    act(() => this.freshness.set({ confirmedAt: at }));
  }

  publish(topic: string, data: unknown, options: { seq?: number; ts?: string } = {}) {
    const store = this.store(topic);
    const seq = options.seq ?? store.getSnapshot().seq + 1;
    const kind = topic.startsWith("game/")
      ? "score-update"
      : topic.startsWith("games/")
        ? "game-list"
        : topic.startsWith("queue/")
          ? "queue-position"
          : "result-ready";
    act(() =>
      store.set({
        ...store.getSnapshot(),
        status: "ready",
        data: data as never,
        seq,
        kind,
        ts: options.ts ?? "2026-11-22T12:00:00.000Z",
        source: "push",
      }),
    );
  }

  refuse(topic: string, code: string, message: string) {
    const store = this.store(topic);
    act(() => store.set({ ...store.getSnapshot(), status: "error", error: { origin: "server", code, message } as TopicSnapshot["error"] }));
  }
}

/** An API whose calls the test settles by hand; unimplemented calls fail the test loudly. */
export function fakeApi(overrides: Partial<FanApi> = {}): FanApi {
  const unexpected = (name: string) => () => Promise.reject(new Error(`unexpected call to api.${name}`));
  return {
    joinQueue: unexpected("joinQueue"),
    // A fan who has not joined yet, unless the test says otherwise.
    myPlace: async () => undefined,
    admission: unexpected("admission"),
    requestReport: unexpected("requestReport"),
    fetchReport: unexpected("fetchReport"),
    ...overrides,
  };
}

export function renderWithPush(ui: ReactNode, client = new FakePushClient(), api = fakeApi()): RenderResult & { client: FakePushClient } {
  const result = render(
    <PushProvider client={client} api={api}>
      {ui}
    </PushProvider>,
  );
  return Object.assign(result, { client });
}

/** A promise the test resolves or rejects when it chooses, to see the pending state in between. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * An in-memory stand-in for the push client's stores, for component tests:
 * the views are under test here, not the client, so the test decides exactly
 * what the stores say and when they change.
 */
import { act, render, type RenderResult } from "@testing-library/react";
import type { ReactNode } from "react";
import type { FanApi } from "../src/api.js";
import { PushProvider } from "../src/push-context.js";
import type { ConnectionSnapshot, PushClient, ReadableStore, TopicSnapshot } from "../src/push.js";

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

export class FakePushClient implements PushClient {
  readonly connection = new TestStore<ConnectionSnapshot>({ state: "live", attempt: 0 });
  private readonly topics = new Map<string, TestStore<TopicSnapshot>>();

  topic(name: string): TestStore<TopicSnapshot> {
    let store = this.topics.get(name);
    if (!store) {
      store = new TestStore<TopicSnapshot>({ data: undefined, seq: 0 });
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

  setConnection(snapshot: ConnectionSnapshot) {
    act(() => this.connection.set(snapshot));
  }

  publish(topic: string, data: unknown, options: { seq?: number; ts?: string } = {}) {
    const store = this.topic(topic);
    const seq = options.seq ?? store.getSnapshot().seq + 1;
    act(() => store.set({ data, seq, ts: options.ts ?? "2026-11-22T12:00:00.000Z", source: "push" }));
  }

  refuse(topic: string, code: string, message: string) {
    const store = this.topic(topic);
    act(() => store.set({ ...store.getSnapshot(), error: { code, message } }));
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

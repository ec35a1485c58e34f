/**
 * Thin React bindings over the push client's stores (TanStack Query style):
 * all state lives in the framework-free client; these hooks only read it.
 * Connection status and topic data are separate hooks on purpose: a topic can
 * hold perfectly good data while the connection is reconnecting.
 */
import { useCallback, useSyncExternalStore } from "react";
import type { MessageKind } from "@pushgate/core/protocol";
import { usePushServices } from "./push-context.js";
import type { ConnectionSnapshot, TopicData, TopicSnapshot } from "./push.js";

export function useConnectionState(): ConnectionSnapshot {
  const { client } = usePushServices();
  const store = client.connection;
  // Called through the store (not passed as bare methods) so a class-based store keeps its `this`.
  const subscribe = useCallback((listener: () => void) => store.subscribe(listener), [store]);
  const getSnapshot = useCallback(() => store.getSnapshot(), [store]);
  return useSyncExternalStore(subscribe, getSnapshot);
}

const NO_TOPIC: TopicSnapshot<never> = Object.freeze({ data: undefined, seq: 0 });
const noopUnsubscribe = () => {};

/**
 * The latest value of `topic`, or an empty snapshot while `topic` is undefined
 * (e.g. before the fan has joined the queue and knows which topic is theirs).
 * The store's listener is what holds the topic on the wire (reference-counted
 * in the client), so mounting subscribes and the last unmount unsubscribes.
 */
export function useTopic<K extends MessageKind>(topic: string | undefined): TopicSnapshot<TopicData<K>> {
  const { client } = usePushServices();
  const store = topic === undefined ? undefined : client.topic(topic);
  const subscribe = useCallback(
    (listener: () => void) => (store ? store.subscribe(listener) : noopUnsubscribe),
    [store],
  );
  const getSnapshot = useCallback(() => (store ? store.getSnapshot() : NO_TOPIC), [store]);
  return useSyncExternalStore(subscribe, getSnapshot) as TopicSnapshot<TopicData<K>>;
}

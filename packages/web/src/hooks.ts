/**
 * Thin React bindings over the push client's stores (TanStack Query style):
 * all state lives in the framework-free client; these hooks only read it.
 * Connection status and topic data are separate hooks on purpose: a topic can
 * hold perfectly good data while the connection is reconnecting.
 */
import { useCallback, useSyncExternalStore } from "react";
import { pendingTopicSnapshot, type ConnectionSnapshot, type KindOfTopic, type TopicSnapshot } from "@pushgate/client";
import { usePushServices } from "./push-context.js";

export function useConnectionState(): ConnectionSnapshot {
  const { client } = usePushServices();
  const store = client.connection;
  // Called through the store (not passed as bare methods) so a class-based store keeps its `this`.
  const subscribe = useCallback((listener: () => void) => store.subscribe(listener), [store]);
  const getSnapshot = useCallback(() => store.getSnapshot(), [store]);
  return useSyncExternalStore(subscribe, getSnapshot);
}

const NO_TOPIC = Object.freeze(pendingTopicSnapshot(""));
const noopUnsubscribe = () => {};

/**
 * The latest value of `topic`, or an empty snapshot while `topic` is undefined
 * (e.g. before the fan has joined the queue and knows which topic is theirs).
 * The store's listener is what holds the topic on the wire (reference-counted
 * in the client), so mounting subscribes and the last unmount unsubscribes.
 * The data's type follows from the topic's name, as in the client:
 * `useTopic(\`game/${id}\`)` reads a `ScoreData`.
 */
export function useTopic<T extends string>(topic: T | undefined): TopicSnapshot<KindOfTopic<T>> {
  const { client } = usePushServices();
  const store = topic === undefined ? undefined : client.topic(topic);
  const subscribe = useCallback((listener: () => void) => (store ? store.subscribe(listener) : noopUnsubscribe), [store]);
  const getSnapshot = useCallback(() => (store ? store.getSnapshot() : NO_TOPIC), [store]);
  return useSyncExternalStore(subscribe, getSnapshot) as TopicSnapshot<KindOfTopic<T>>;
}

/**
 * Which shard of a topic a connection's subscription lives in, and which
 * shards the fan-out reads. A big topic's subscribers are spread over
 * `topic#0 .. topic#{n-1}` partitions so that the fan-out can Query them in
 * parallel (and split them into tasks) and no single partition gets hot; n is
 * chosen per topic kind (topology `subscriptionShards`).
 *
 * A connection is given its shard of every kind at `$connect` and keeps them
 * for its life, so a change of a kind's count on live connections neither
 * orphans (unsubscribe and disconnect delete where subscribe wrote) nor
 * misses (the fan-out reads max(count, before) shards, `before` covering the
 * counts connections still alive were given).
 */
import { parseTopic, type TopicType } from "./topics";
import type { ShardCountDecl } from "./topology";

/** Every kind's shard counts: the topology's, or the environment's override of them (config.ts). */
export type ShardCounts = Readonly<Record<TopicType, ShardCountDecl>>;

/** A connection's shard of each kind: chosen at `$connect`, kept on its item. */
export type ConnectionShards = Partial<Record<TopicType, number>>;

const TOPIC_TYPES: readonly TopicType[] = ["game", "games", "queue", "job"];

/** FNV-1a: stable across processes and deploys (unlike anything seeded). */
export function shardOf(connectionId: string, shardCount: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < connectionId.length; i++) {
    hash ^= connectionId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shardCount;
}

/** The same count (and before) for every kind: a test's, or a plain `PUSHGATE_SUBSCRIPTION_SHARDS=16`. */
export const uniformShardCounts = (count: number, before = count): ShardCounts =>
  Object.fromEntries(TOPIC_TYPES.map((type) => [type, { count, before }])) as Record<TopicType, ShardCountDecl>;

/** The shards a connection opened now is given, one per kind. */
export const shardsAtConnect = (connectionId: string, counts: ShardCounts): ConnectionShards =>
  Object.fromEntries(TOPIC_TYPES.map((type) => [type, shardOf(connectionId, counts[type].count)]));

/**
 * Where a connection's subscription to `topic` lives: the shard of its kind
 * given at `$connect`; for a connection stored before kinds had their own
 * counts, the one shard it was given then (`shard`, every kind's); for one
 * stored before either was kept (or already gone), the one its id hashes to now.
 */
export function shardForTopic(
  connection: { connectionId: string; shard?: number; shards?: ConnectionShards },
  topic: string,
  counts: ShardCounts,
): number {
  const type = parseTopic(topic).type;
  return connection.shards?.[type] ?? connection.shard ?? shardOf(connection.connectionId, counts[type].count);
}

/** How many shards of `topic` the fan-out reads: every shard a live connection may have written to. */
export const listedShards = (topic: string, counts: ShardCounts): number => listedShardsOfKind(parseTopic(topic).type, counts);

/** The same for every topic of a kind (the watcher counters of game topics sit on these shards). */
export function listedShardsOfKind(type: TopicType, counts: ShardCounts): number {
  const { count, before } = counts[type];
  return Math.max(count, before);
}

export const topicShardKey = (topic: string, shard: number): string => `${topic}#${shard}`;

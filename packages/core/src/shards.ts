/**
 * Which shard of a topic a connection's subscription lives in. A big topic's
 * subscribers are spread over `topic#0 .. topic#{n-1}` partitions so that the
 * fan-out can Query them in parallel and no single partition gets hot.
 * FNV-1a: stable across processes and deploys (unlike anything seeded).
 */
export function shardOf(connectionId: string, shardCount: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < connectionId.length; i++) {
    hash ^= connectionId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shardCount;
}

/** A connection's shard: the one it was given at `$connect`, or for an older item the one its id hashes to. */
export const shardOfConnection = (connection: { connectionId: string; shard?: number }, shardCount: number): number =>
  connection.shard ?? shardOf(connection.connectionId, shardCount);

export const topicShardKey = (topic: string, shard: number): string => `${topic}#${shard}`;

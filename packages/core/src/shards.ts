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

export const topicShardKey = (topic: string, shard: number): string => `${topic}#${shard}`;

/**
 * Subscription shards per topic kind: what topology declares, what the
 * environment may override, which shard a connection's subscription lives in
 * (kept from `$connect`, whatever the counts are now) and how many shards the
 * fan-out reads. The same rules against DynamoDB Local, with counts changed on
 * live connections: integration/core/shard-counts.test.ts.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, shardCountsFromEnv } from "../src/config";
import { listedShards, shardForTopic, shardOf, shardsAtConnect, uniformShardCounts } from "../src/shards";
import { subscriptionShards, topology } from "../src/topology";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `Yx1cQdUxIAMCJ${i}=`);

describe("subscription shards per topic kind", () => {
  it("topology gives a game 64 shards (1,000,000 fans: ~15,600 a partition key, a task each), a job 1, and at least a worker's worth to the broadcast kinds", () => {
    expect(subscriptionShards.game.count).toBeGreaterThanOrEqual(64);
    expect(subscriptionShards.games.count).toBe(subscriptionShards.game.count);
    expect(subscriptionShards.job.count).toBe(1);
    const workers = topology.queues.fanoutTasks.maxConcurrency;
    for (const kind of ["game", "games", "queue"] as const) expect(subscriptionShards[kind].count).toBeGreaterThanOrEqual(workers);
    expect(1_000_000 / subscriptionShards.game.count).toBeLessThan(16_000);
  });

  it("a connection is given one shard per kind, within that kind's count", () => {
    const counts = shardCountsFromEnv({});
    const given = ids(400).map((id) => shardsAtConnect(id, counts));
    expect(new Set(given.map((shards) => shards.job))).toEqual(new Set([0]));
    expect(new Set(given.map((shards) => shards.game)).size).toBe(64);
    expect(Math.max(...given.map((shards) => shards.queue!))).toBeLessThan(counts.queue.count);
  });

  it("a subscription lives where the connection's shard of its kind says, not where the counts of now would put it", () => {
    const now = uniformShardCounts(64);
    const connection = { connectionId: "c1", shards: { game: 3, job: 0 } };
    expect(shardForTopic(connection, "game/g1", now)).toBe(3);
    expect(shardForTopic(connection, "job/j1", now)).toBe(0);
    // Stored before kinds had their own counts: one shard for every kind.
    expect(shardForTopic({ connectionId: "c1", shard: 5 }, "job/j1", shardCountsFromEnv({}))).toBe(5);
    // Neither (a connection already gone): the shard its id hashes to now.
    expect(shardForTopic({ connectionId: "c1" }, "game/g1", now)).toBe(shardOf("c1", 64));
  });

  it("the fan-out reads every shard a live connection may have written to: max(count, before)", () => {
    expect(listedShards("game/g1", { ...uniformShardCounts(1), game: { count: 4, before: 16 } })).toBe(16);
    expect(listedShards("game/g1", { ...uniformShardCounts(1), game: { count: 64, before: 8 } })).toBe(64);
    expect(listedShards("job/j1", shardCountsFromEnv({}))).toBe(Math.max(subscriptionShards.job.count, subscriptionShards.job.before));
  });

  it("the environment overrides one count for every kind, or counts by kind, and refuses what is not one", () => {
    expect(shardCountsFromEnv({})).toEqual(subscriptionShards);
    expect(shardCountsFromEnv({ PUSHGATE_SUBSCRIPTION_SHARDS: "16" }).job).toEqual({ count: 16, before: subscriptionShards.job.before });
    const byKind = shardCountsFromEnv({ PUSHGATE_SUBSCRIPTION_SHARDS: "game=2, queue=4", PUSHGATE_SUBSCRIPTION_SHARDS_BEFORE: "game=64" });
    expect(byKind.game).toEqual({ count: 2, before: 64 });
    expect(byKind.queue).toEqual({ count: 4, before: subscriptionShards.queue.before });
    expect(byKind.job).toEqual(subscriptionShards.job);
    expect(() => shardCountsFromEnv({ PUSHGATE_SUBSCRIPTION_SHARDS: "match=4" })).toThrow(ConfigError);
    expect(() => shardCountsFromEnv({ PUSHGATE_SUBSCRIPTION_SHARDS: "match=4" })).toThrow(/name one of game, games, queue, job/);
    expect(() => shardCountsFromEnv({ PUSHGATE_SUBSCRIPTION_SHARDS_BEFORE: "game=300" })).toThrow(/from 1 to 256/);
  });
});

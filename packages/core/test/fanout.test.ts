import { describe, expect, it } from "vitest";
import { fanOut, mergePages } from "../src/fanout";
import type { Gateway, Log, PostOutcome, Subscription, SubscriptionKey, SubscriptionStore } from "../src/ports";
import type { MessageFrame } from "../src/protocol";
import { shardOf, uniformShardCounts } from "../src/shards";

/** The fakes' subscriptions expire at 0 (epoch seconds): a clock there keeps them live. */
const epoch = { now: () => 0 };

const frame: MessageFrame = {
  type: "message",
  topic: "game/g1",
  seq: 7,
  kind: "score-update",
  data: { home: 1, away: 0 },
  ts: "2026-11-22T12:00:00.000Z",
};

/** Subscriptions in memory, sharded like the DynamoDB adapter, served in pages of `pageSize`. */
function memorySubscriptions(
  connectionIds: string[],
  shardCount = 4,
  pageSize = 7,
  expiresAt: (connectionId: string) => number = () => 0,
): SubscriptionStore & { removed: string[]; removedKeys: SubscriptionKey[] } {
  const removed: string[] = [];
  const removedKeys: SubscriptionKey[] = [];
  return {
    shardCounts: uniformShardCounts(shardCount),
    removed,
    removedKeys,
    putAll: async () => {},
    deleteAll: async (keys) => {
      removed.push(...keys.map((key) => key.connectionId));
      removedKeys.push(...keys);
    },
    async *listShard(topic, shard) {
      const mine: Subscription[] = connectionIds
        .filter((id) => shardOf(id, shardCount) === shard)
        .map((connectionId) => ({ topic, connectionId, fanId: "f", expiresAt: expiresAt(connectionId), shard }));
      for (let start = 0; start < mine.length; start += pageSize) yield mine.slice(start, start + pageSize);
    },
  };
}

/** A gateway whose posts stay in flight until released, so concurrency is counted, not timed. */
function heldGateway(outcome: (connectionId: string) => PostOutcome | Error) {
  const posted: string[] = [];
  const waiting: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const gateway: Gateway = {
    async post(connectionId, data) {
      expect(JSON.parse(data)).toEqual(frame);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((resolve) => waiting.push(resolve));
      inFlight--;
      posted.push(connectionId);
      const result = outcome(connectionId);
      if (result instanceof Error) throw result;
      return result;
    },
    delete: async () => {},
  };
  /** Releases whatever is in flight until the fan-out settles. */
  async function drive<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    void work.finally(() => (settled = true)).catch(() => {});
    while (!settled) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const release of waiting.splice(0)) release();
    }
    return work;
  }
  return { gateway, posted, drive, maxInFlight: () => maxInFlight };
}

const ids = (n: number, prefix = "c") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const warnings: unknown[] = [];
const log: Log = { warn: (_message, extra) => void warnings.push(extra), error: () => {} };

describe("fan-out", () => {
  it("reaches every subscriber of every shard once, with at most `concurrency` posts in flight", async () => {
    const audience = ids(230);
    const { gateway, posted, drive, maxInFlight } = heldGateway(() => "ok");
    const subscriptions = memorySubscriptions(audience);
    const result = await drive(
      fanOut(frame, { subscriptions, gateway, forgetConnection: async () => {}, log, clock: epoch, concurrency: 10 }),
    );
    expect(result).toEqual({ delivered: 230, gone: 0, failed: 0, unavailable: 0, skipped: 0, full: 0 });
    expect([...posted].sort()).toEqual([...audience].sort());
    expect(maxInFlight()).toBe(10);
  });

  it("a gone connection is forgotten (connection and subscriptions); the others are delivered", async () => {
    const forgotten: string[] = [];
    const { gateway, drive } = heldGateway((id) => (id === "c3" || id === "c17" ? "gone" : "ok"));
    const result = await drive(
      fanOut(frame, {
        subscriptions: memorySubscriptions(ids(40)),
        gateway,
        forgetConnection: async (id) => void forgotten.push(id),
        log,
        clock: epoch,
        concurrency: 5,
      }),
    );
    expect(result).toEqual({ delivered: 38, gone: 2, failed: 0, unavailable: 0, skipped: 0, full: 0 });
    expect(forgotten.sort()).toEqual(["c17", "c3"]);
  });

  it("a 410 deletes the exact subscription item read, even when the connection item is already gone", async () => {
    const { gateway, drive } = heldGateway((id) => (id === "c3" ? "gone" : "ok"));
    const subscriptions = memorySubscriptions(ids(12));
    // The connection item went first (a subscribe racing a disconnect, TTL order): forgetting it deletes nothing.
    const result = await drive(
      fanOut(frame, { subscriptions, gateway, forgetConnection: async () => {}, log, clock: epoch, concurrency: 3 }),
    );
    expect(result).toMatchObject({ delivered: 11, gone: 1 });
    expect(subscriptions.removedKeys).toEqual([expect.objectContaining({ topic: "game/g1", connectionId: "c3", shard: shardOf("c3", 4) })]);
  });

  it("a subscription past its expiresAt is not pushed to, and is removed with its connection", async () => {
    const forgotten: string[] = [];
    const { gateway, posted, drive } = heldGateway(() => "ok");
    const nowSeconds = 1_900_000_000;
    const subscriptions = memorySubscriptions(ids(10), 4, 7, (id) => (id === "c4" ? nowSeconds - 1 : nowSeconds + 3600));
    const result = await drive(
      fanOut(frame, {
        subscriptions,
        gateway,
        forgetConnection: async (id) => void forgotten.push(id),
        log,
        clock: { now: () => nowSeconds * 1000 },
        concurrency: 3,
      }),
    );
    expect(posted).not.toContain("c4");
    expect(result).toMatchObject({ delivered: 9, gone: 1 });
    expect(forgotten).toEqual(["c4"]);
    expect(subscriptions.removed).toEqual(["c4"]);
  });

  it("one connection's failure is isolated: logged and counted, everyone else delivered, nothing thrown", async () => {
    warnings.length = 0;
    const { gateway, posted, drive } = heldGateway((id) => (id === "c5" ? new Error("LimitExceededException") : "ok"));
    const result = await drive(
      fanOut(frame, {
        subscriptions: memorySubscriptions(ids(30)),
        gateway,
        forgetConnection: async () => {},
        log,
        clock: epoch,
        concurrency: 4,
      }),
    );
    expect(result).toEqual({ delivered: 29, gone: 0, failed: 1, unavailable: 0, skipped: 0, full: 0 });
    expect(posted).toHaveLength(30);
    expect(warnings).toEqual([expect.objectContaining({ connectionId: "c5", topic: "game/g1", seq: 7 })]);
  });

  it("a failure to clean up a gone connection is isolated too", async () => {
    const { gateway, drive } = heldGateway((id) => (id === "c1" ? "gone" : "ok"));
    const result = await drive(
      fanOut(frame, {
        subscriptions: memorySubscriptions(ids(10)),
        gateway,
        forgetConnection: async () => {
          throw new Error("DynamoDB throttled");
        },
        log,
        clock: epoch,
        concurrency: 3,
      }),
    );
    expect(result).toEqual({ delivered: 9, gone: 1, failed: 1, unavailable: 0, skipped: 0, full: 0 });
  });

  it("a topic nobody listens to is a no-op", async () => {
    const { gateway, drive } = heldGateway(() => "ok");
    const result = await drive(
      fanOut(frame, {
        subscriptions: memorySubscriptions([]),
        gateway,
        forgetConnection: async () => {},
        log,
        clock: epoch,
        concurrency: 50,
      }),
    );
    expect(result).toEqual({ delivered: 0, gone: 0, failed: 0, unavailable: 0, skipped: 0, full: 0 });
  });

  it("a failed subscriber query fails the publication, so the record is retried", async () => {
    const { gateway, drive } = heldGateway(() => "ok");
    const subscriptions = memorySubscriptions(ids(20));
    const broken: SubscriptionStore = {
      ...subscriptions,
      async *listShard(topic, shard) {
        if (shard === 2) throw new Error("ProvisionedThroughputExceeded");
        yield* subscriptions.listShard(topic, shard);
      },
    };
    await expect(
      drive(fanOut(frame, { subscriptions: broken, gateway, forgetConnection: async () => {}, log, clock: epoch, concurrency: 5 })),
    ).rejects.toThrow("ProvisionedThroughputExceeded");
  });
});

describe("shards", () => {
  it("are stable and spread connections over every shard", () => {
    expect(shardOf("Yx1cQdUxIAMCJkQ=", 8)).toBe(shardOf("Yx1cQdUxIAMCJkQ=", 8));
    const used = new Set(ids(200).map((id) => shardOf(id, 8)));
    expect(used.size).toBe(8);
  });

  it("mergePages interleaves sources and ends when all have", async () => {
    async function* source(name: string, pages: number) {
      for (let i = 0; i < pages; i++) yield `${name}${i}`;
    }
    const seen: string[] = [];
    for await (const page of mergePages([source("a", 3), source("b", 0), source("c", 2)])) seen.push(page);
    expect(seen.sort()).toEqual(["a0", "a1", "a2", "c0", "c1"]);
  });
});

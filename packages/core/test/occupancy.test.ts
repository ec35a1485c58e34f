/**
 * Occupancy's rules and its throttle, with an injected clock: the counter
 * maths of a subscriptions-stream batch, the idempotency of a retried batch,
 * the rounding and the audience-scaled interval, and the promise that the last
 * change before a quiet period is still published. The DynamoDB conditions
 * behind the ports are checked against DynamoDB Local in
 * packages/functions/test/occupancy.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  approximateWatching,
  counterChanges,
  paddedSequence,
  WATCHING_MAX_INTERVAL_MS,
  WATCHING_MIN_INTERVAL_MS,
  watchingIntervalMs,
} from "../src/occupancy";
import type { AddOutcome, WatcherCounters, WatchingState } from "../src/ports";
import { shardOf, topicShardKey } from "../src/shards";
import type { Change } from "../src/stream";
import {
  countOnce,
  HEARTBEAT_MAX_WAIT_MS,
  publishWatching,
  TALLY_MAX_WAIT_MS,
  tallyWatchers,
  watchingHeartbeat,
  type OccupancyDeps,
} from "../src/usecases/occupancy";

let sequence = 100;
const subscription = (topic: string, connectionId: string, shard = shardOf(connectionId, 4)) => ({
  topicShard: topicShardKey(topic, shard),
  topic,
  connectionId,
  fanId: "f",
  expiresAt: 1,
  shard,
});
const inserted = (topic: string, connectionId: string, shard?: number): Change => ({
  sequenceNumber: String(++sequence),
  eventName: "INSERT",
  newImage: subscription(topic, connectionId, shard),
});
const removed = (topic: string, connectionId: string, shard?: number): Change => ({
  sequenceNumber: String(++sequence),
  eventName: "REMOVE",
  oldImage: subscription(topic, connectionId, shard),
});

/** The counters table in memory, with the adapter's condition: count only past `lastSequence`. */
function memoryCounters(): WatcherCounters & { items: Map<string, { count: number; lastSequence: string }>; adds: number } {
  const items = new Map<string, { count: number; lastSequence: string }>();
  return {
    items,
    adds: 0,
    async add(counterId, _gameId, delta, first, last): Promise<AddOutcome> {
      this.adds++;
      const item = items.get(counterId);
      if (item && !(item.lastSequence < first)) return { added: false, lastCounted: item.lastSequence };
      items.set(counterId, { count: (item?.count ?? 0) + delta, lastSequence: last });
      return { added: true };
    },
    async sum(gameId, shardCount) {
      let total = 0;
      for (let shard = 0; shard < shardCount; shard++) total += items.get(topicShardKey(`game/${gameId}`, shard))?.count ?? 0;
      return total;
    },
  };
}

/** A game item's watching fields, with the adapter's conditional publish; a clock that sleeping moves. */
function world(options: { minIntervalMs?: number } = {}) {
  let now = 1_000_000;
  const counters = memoryCounters();
  const gameItems = new Map<string, WatchingState>([["g1", {}]]);
  const published: { gameId: string; watching: number; at: number }[] = [];
  const slept: number[] = [];
  const deps: OccupancyDeps = {
    counters,
    games: {
      watchingOf: async (gameId) => (gameItems.has(gameId) ? { ...gameItems.get(gameId) } : undefined),
      publishWatching: async (gameId, watching, atMs, previousAt) => {
        const item = gameItems.get(gameId);
        if (!item || item.watchingAt !== previousAt) return false;
        gameItems.set(gameId, { watching, watchingPushed: watching, watchingAt: atMs });
        published.push({ gameId, watching, at: atMs });
        return true;
      },
      carryWatching: async (gameId, watching) => {
        const item = gameItems.get(gameId);
        if (!item) return false;
        gameItems.set(gameId, { ...item, watching });
        return true;
      },
      carriedWatching: async () =>
        [...gameItems].filter(([, item]) => item.watching !== undefined && item.watching !== item.watchingPushed).map(([id]) => id),
    },
    shardCount: 4,
    clock: { now: () => now },
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    minIntervalMs: options.minIntervalMs ?? WATCHING_MIN_INTERVAL_MS,
  };
  return { deps, counters, gameItems, published, slept, advance: (ms: number) => (now += ms), now: () => now };
}

describe("counterChanges: a batch of subscription changes -> counter deltas", () => {
  it("counts INSERT +1 and REMOVE -1 per subscription shard of a game, and nothing else", () => {
    const changes: Change[] = [
      inserted("game/g1", "c1", 0),
      inserted("game/g1", "c2", 1),
      inserted("game/g1", "c3", 1),
      removed("game/g1", "c2", 1),
      inserted("queue/e1", "c1", 0),
      inserted("game/_canary", "canary", 0),
      inserted("game/_list", "c9", 0),
      {
        sequenceNumber: String(++sequence),
        eventName: "MODIFY",
        newImage: subscription("game/g1", "c1", 0),
        oldImage: subscription("game/g1", "c1", 0),
      },
      inserted("game/g2", "c1", 2),
    ];
    const byCounter = Object.fromEntries(
      counterChanges(changes).map((change) => [
        change.counterId,
        { gameId: change.gameId, delta: change.records.reduce((sum, r) => sum + r.delta, 0) },
      ]),
    );
    expect(byCounter).toEqual({
      "game/g1#0": { gameId: "g1", delta: 1 },
      "game/g1#1": { gameId: "g1", delta: 1 },
      "game/g2#2": { gameId: "g2", delta: 1 },
    });
  });

  it("pads sequence numbers so that string order is numeric order, and keeps each counter's records in it", () => {
    expect(paddedSequence("9") < paddedSequence("10")).toBe(true);
    const [counter] = counterChanges([
      { ...inserted("game/g1", "c1", 0), sequenceNumber: "10" },
      { ...removed("game/g1", "c1", 0), sequenceNumber: "9" },
    ]);
    expect(counter!.records.map((record) => record.delta)).toEqual([-1, 1]);
  });

  it("spreads a kickoff's arrivals over the shards, as the subscriptions are: no counter takes them all", () => {
    const changes = Array.from({ length: 10_000 }, (_, i) => inserted("game/big", `conn-${i}=`));
    const counters = counterChanges(changes);
    expect(counters).toHaveLength(4);
    for (const counter of counters) expect(counter.records.length).toBeGreaterThan(2_000);
    expect(counters.reduce((sum, counter) => sum + counter.records.length, 0)).toBe(10_000);
  });
});

describe("countOnce: a retried batch counts nothing twice", () => {
  it("adds a counter's batch once, and only the new records of a retry that brings more", async () => {
    const counters = memoryCounters();
    const first = counterChanges([inserted("game/g1", "a", 0), inserted("game/g1", "b", 0)]);
    await countOnce(counters, first[0]!);
    await countOnce(counters, first[0]!);
    expect(counters.items.get("game/g1#0")!.count).toBe(2);

    // The retry starts inside the counted records and carries a newer one: only that one counts.
    const retry = counterChanges([removed("game/g1", "a", 0)]);
    retry[0]!.records.unshift(first[0]!.records[1]!);
    await countOnce(counters, retry[0]!);
    expect(counters.items.get("game/g1#0")!.count).toBe(1);
  });

  it("never goes below zero when a fan's subscription is removed by a disconnect and a 410 at once (one REMOVE record)", async () => {
    const { deps, counters } = world();
    await tallyWatchers(deps, [inserted("game/g1", "a", 0)]);
    // Two deletes of one item write one stream record: the second finds nothing to delete. A retried batch repeats it.
    const gone = removed("game/g1", "a", 0);
    await tallyWatchers(deps, [gone]);
    await tallyWatchers(deps, [gone]);
    expect(counters.items.get("game/g1#0")!.count).toBe(0);
  });
});

describe("approximateWatching and watchingIntervalMs", () => {
  it("is exact below 1,000 and two significant digits above", () => {
    expect([0, 7, 999, 1_234, 1_250, 12_345, 99_960, 123_456].map(approximateWatching)).toEqual([
      0, 7, 999, 1_200, 1_300, 12_000, 100_000, 120_000,
    ]);
    expect(approximateWatching(-3)).toBe(0);
  });

  it("waits longer as the audience grows, so count pushes stay under 1,000 messages/s per game up to 300,000 fans", () => {
    expect(watchingIntervalMs(10)).toBe(WATCHING_MIN_INTERVAL_MS);
    expect(watchingIntervalMs(20_000)).toBe(20_000);
    expect(watchingIntervalMs(100_000)).toBe(100_000);
    expect(watchingIntervalMs(1_000_000)).toBe(WATCHING_MAX_INTERVAL_MS);
    for (const audience of [100, 5_000, 20_000, 100_000, 300_000])
      expect(audience / (watchingIntervalMs(audience) / 1000)).toBeLessThanOrEqual(1_000);
  });
});

const tally = { maxWaitMs: TALLY_MAX_WAIT_MS };
const heartbeat = { maxWaitMs: HEARTBEAT_MAX_WAIT_MS };
/** A game last pushed `pushed` at `agoMs` before now, whose counters now sum to `count`. */
function gameAt(w: ReturnType<typeof world>, pushed: number, agoMs: number, count: number) {
  w.gameItems.set("g1", { watching: pushed, watchingPushed: pushed, watchingAt: w.now() - agoMs });
  w.counters.items.set("game/g1#0", { count, lastSequence: paddedSequence("1") });
}

describe("publishWatching: at most one push per interval, and the last change is never dropped", () => {
  it("publishes a game's first count at once, then waits out a small game's 5 s for the next and publishes the latest", async () => {
    const { deps, published, slept, counters, advance } = world();
    await tallyWatchers(deps, [inserted("game/g1", "a", 0), inserted("game/g1", "b", 1)]);
    expect(published).toEqual([{ gameId: "g1", watching: 2, at: 1_000_000 }]);

    // 1 s later a fan leaves: too soon; the invocation waits the rest of the 5 s and publishes what the counters say then.
    advance(1_000);
    await tallyWatchers(deps, [removed("game/g1", "a", 0)]);
    expect(slept).toEqual([4_000]);
    expect(published.at(-1)).toEqual({ gameId: "g1", watching: 1, at: 1_005_000 });
    expect(counters.items.get("game/g1#0")!.count).toBe(0);
  });

  it("does not push a count that rounds to the one already pushed", async () => {
    const w = world();
    gameAt(w, 12_000, 0, 12_040);
    expect(await publishWatching(w.deps, "g1", tally)).toBe("unchanged");
    expect(w.published).toEqual([]);
  });

  it("does not publish a game that is not described (any fan may subscribe to any id; a scored-only game's seq is its producer's)", async () => {
    const { deps, published } = world();
    const outcomes = await tallyWatchers(deps, [inserted("game/nobody", "a", 0)]);
    expect(outcomes.get("nobody")).toBe("no-game");
    expect(published).toEqual([]);
  });

  it("lets one of two racing invocations publish; the other reads again and stops when the count is already out", async () => {
    const { deps, published, gameItems } = world();
    let raced = false;
    const racing: OccupancyDeps = {
      ...deps,
      games: {
        ...deps.games,
        publishWatching: async (gameId, watching, atMs, previousAt) => {
          if (!raced) {
            // Another stream shard's invocation publishes the same count first.
            raced = true;
            gameItems.set(gameId, { watching, watchingPushed: watching, watchingAt: atMs });
            published.push({ gameId, watching, at: atMs });
            return false;
          }
          return deps.games.publishWatching(gameId, watching, atMs, previousAt);
        },
      },
    };
    expect(await tallyWatchers(racing, [inserted("game/g1", "a", 0)])).toEqual(new Map([["g1", "unchanged"]]));
    expect(published).toHaveLength(1);
  });

  it("a big game's change is carried, not waited for: the next score update carries it and the heartbeat pushes it when due", async () => {
    const w = world();
    // 110,000 fans: one count push per 110 s. 100,000 were pushed 10 s ago; now the counters say 110,000.
    const pushedAt = w.now() - 10_000;
    gameAt(w, 100_000, 10_000, 110_000);
    expect(await publishWatching(w.deps, "g1", tally)).toBe("carried");
    expect(w.slept).toEqual([]);
    expect(w.gameItems.get("g1")).toMatchObject({ watching: 110_000, watchingPushed: 100_000 });

    // A heartbeat 30 s later finds it due in 70 s: not within its minute, so it leaves it for the next one.
    w.advance(30_000);
    expect(await watchingHeartbeat(w.deps, heartbeat)).toEqual(new Map([["g1", "carried"]]));
    // The next, 30 s later (runs need not be a minute apart), waits the 40 s left and pushes the count then.
    w.advance(30_000);
    expect(await watchingHeartbeat(w.deps, heartbeat)).toEqual(new Map([["g1", "published"]]));
    expect(w.slept).toEqual([40_000]);
    expect(w.published).toEqual([{ gameId: "g1", watching: 110_000, at: w.now() }]);
    expect(w.now() - pushedAt).toBe(watchingIntervalMs(110_000));
    // Nothing is carried any more: the next heartbeat has nothing to do.
    expect(await watchingHeartbeat(w.deps, heartbeat)).toEqual(new Map());
  });

  it("a carried count that falls back to the pushed one is carried back and not pushed", async () => {
    const w = world();
    gameAt(w, 100_000, 10_000, 110_000);
    await publishWatching(w.deps, "g1", tally);
    w.counters.items.set("game/g1#0", { count: 100_200, lastSequence: paddedSequence("2") });
    expect(await publishWatching(w.deps, "g1", tally)).toBe("unchanged");
    expect(w.gameItems.get("g1")).toMatchObject({ watching: 100_000, watchingPushed: 100_000 });
    expect(await watchingHeartbeat(w.deps, heartbeat)).toEqual(new Map());
  });

  it("never waits into the invocation's reserve: a push due after it is carried", async () => {
    const w = world();
    gameAt(w, 10, 1_000, 20);
    const outcome = await publishWatching(w.deps, "g1", {
      maxWaitMs: TALLY_MAX_WAIT_MS,
      deadline: { remainingMs: () => 12_000 },
      reserveMs: 10_000,
    });
    expect(outcome).toBe("carried");
    expect(w.slept).toEqual([]);
  });
});

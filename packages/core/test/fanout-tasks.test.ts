import { describe, expect, it } from "vitest";
import { DeliveryMemo, fanOut } from "../src/fanout";
import type { Deadline, FanoutTask, Gateway, Log, Subscription, SubscriptionStore } from "../src/ports";
import type { MessageFrame } from "../src/protocol";
import { shardOf, uniformShardCounts } from "../src/shards";
import { processStreamBatch } from "../src/stream";
import { audienceOf, decodeTask, encodeTask, runFanoutTasks } from "../src/usecases/fanout-tasks";

const frame: MessageFrame = {
  type: "message",
  topic: "game/big",
  seq: 3,
  kind: "score-update",
  data: { home: 7, away: 0 },
  ts: "2026-11-29T20:00:00.000Z",
};
const clock = { now: () => 0 };
const log: Log = { warn: () => {}, error: () => {} };

/** Subscriptions in memory, per shard in connectionId order, honouring `after` and `pageSize` as the DynamoDB Query does. */
function store(byShard: string[][]): SubscriptionStore & { queries: number; read: number; sizes: number[] } {
  const sorted = byShard.map((ids) => [...ids].sort());
  const subscriptions: SubscriptionStore & { queries: number; read: number; sizes: number[] } = {
    shardCounts: uniformShardCounts(sorted.length),
    queries: 0,
    read: 0,
    sizes: sorted.map((ids) => ids.length),
    putAll: async () => {},
    deleteAll: async () => {},
    async *listShard(topic, shard, options = {}) {
      const ids = sorted[shard] ?? [];
      let start = options.after === undefined ? 0 : ids.findIndex((id) => id > options.after!);
      if (start < 0) start = ids.length;
      const pageSize = options.pageSize ?? 4;
      do {
        subscriptions.queries++;
        const page = ids.slice(start, start + pageSize);
        start += page.length;
        subscriptions.read += page.length;
        if (page.length > 0) yield page.map((connectionId): Subscription => ({ topic, connectionId, fanId: "f", expiresAt: 10, shard }));
        if (page.length < pageSize) return;
      } while (start < ids.length);
    },
  };
  return subscriptions;
}

/** A gateway that counts pushes per connection; each push moves the fake clock of `deadline` by `costMs`. */
function countingGateway(time: { ms: number }, costMs: number) {
  const pushes = new Map<string, number>();
  const gateway: Gateway = {
    async post(connectionId) {
      await Promise.resolve();
      time.ms += costMs;
      pushes.set(connectionId, (pushes.get(connectionId) ?? 0) + 1);
      return "ok";
    },
    delete: async () => {},
  };
  return { gateway, pushes };
}

const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, "0")}`);

/** A deadline `timeoutMs` after the clock's current value. */
function deadlineAt(time: { ms: number }, timeoutMs: number): Deadline {
  const end = time.ms + timeoutMs;
  return { remainingMs: () => end - time.ms };
}

/**
 * Runs a task and its continuations until the queue is empty, each in a fresh
 * instance (empty memo) with 150 ms, of which 50 are kept in reserve; answers
 * every task run, in order.
 */
async function drainTasks(
  first: FanoutTask,
  subscriptions: SubscriptionStore,
  gateway: Gateway,
  time: { ms: number },
  concurrency: number,
) {
  const queue: FanoutTask[] = [first];
  const seen: FanoutTask[] = [];
  const tasks = { enqueue: async (more: FanoutTask[]) => void queue.push(...more) };
  while (queue.length > 0) {
    const task = queue.shift()!;
    seen.push(task);
    const deps = { subscriptions, clock, gateway, forgetConnection: async () => {}, log, concurrency, memo: new DeliveryMemo(), tasks };
    const run = await runFanoutTasks(deps, [{ id: `m${seen.length}`, body: encodeTask(task) }], {
      deadline: deadlineAt(time, 150),
      reserveMs: 50,
    });
    expect(run.failed).toEqual([]);
    expect(seen.length).toBeLessThan(20);
  }
  return seen;
}

describe("the fan-out's deadline", () => {
  it("stops taking subscribers under the reserve, finishes what it took, and names the last one as the cursor", async () => {
    const time = { ms: 0 };
    const { gateway, pushes } = countingGateway(time, 10);
    const subscriptions = store([ids(50, "c")]);
    const deps = { subscriptions, clock, gateway, forgetConnection: async () => {}, log, concurrency: 1 };
    const result = await fanOut(frame, deps, {
      sources: [subscriptions.listShard(frame.topic, 0)],
      deadline: deadlineAt(time, 200),
      reserveMs: 100,
    });
    // 10 ms a push; the 11th is taken with exactly 100 ms left (not under the reserve), the 12th is not.
    expect(result.delivered).toBe(11);
    expect(result.stopped).toEqual({ after: "c0010" });
    expect([...pushes.keys()]).toEqual(ids(11, "c"));
  });

  it("without a deadline reaches everyone and reports no cursor", async () => {
    const time = { ms: 0 };
    const { gateway } = countingGateway(time, 10);
    const subscriptions = store([ids(30, "c")]);
    const result = await fanOut(frame, { subscriptions, clock, gateway, forgetConnection: async () => {}, log, concurrency: 4 });
    expect(result.delivered).toBe(30);
    expect(result.stopped).toBeUndefined();
  });
});

describe("fan-out tasks", () => {
  it("round-trip through their message body; a malformed body is refused, never pushed", () => {
    const task: FanoutTask = { frame, shard: 5, after: "c0001" };
    expect(decodeTask(encodeTask(task))).toEqual(task);
    expect(() => decodeTask("{")).toThrow(/not JSON/);
    expect(() => decodeTask(JSON.stringify({ frame, shard: -1 }))).toThrow(/lacks frame, shard/);
    expect(() => decodeTask(JSON.stringify({ frame: { topic: "x" }, shard: 1 }))).toThrow(/lacks frame, shard/);
  });

  it("an audience above the threshold becomes tasks of its non-empty shards; a small one is pushed from the pages read", async () => {
    const big = await audienceOf(store([ids(3, "a"), [], ids(3, "b")]), frame.topic, { splitAbove: 5, workers: 8 });
    expect(big).toEqual({ size: "big", tasks: [[0], [2]] });
    const subscriptions = store([ids(2, "a"), [], ids(3, "b")]);
    const small = await audienceOf(subscriptions, frame.topic, { splitAbove: 5, workers: 8 });
    expect(small.size).toBe("small");
    const time = { ms: 0 };
    const { gateway, pushes } = countingGateway(time, 1);
    const queriesBefore = subscriptions.queries;
    const deps = { subscriptions, clock, gateway, forgetConnection: async () => {}, log, concurrency: 2 };
    await fanOut(frame, deps, { sources: small.size === "small" ? small.sources : [] });
    expect(pushes.size).toBe(5);
    // The pages read by the peek were the whole audience: no second query.
    expect(subscriptions.queries).toBe(queriesBefore);
  });

  it("a task that runs out of time re-enqueues its remainder with a cursor; another instance finishes it, nobody twice", async () => {
    const time = { ms: 0 };
    const { gateway, pushes } = countingGateway(time, 10);
    const subscriptions = store([ids(40, "c")]);
    const invocations = (await drainTasks({ frame, shard: 0 }, subscriptions, gateway, time, 3)).length;
    expect(invocations).toBeGreaterThan(2);
    expect(pushes.size).toBe(40);
    expect(Math.max(...pushes.values())).toBe(1);
  });

  it("a task with no time to start goes back on the queue unchanged; a poison message is reported failed", async () => {
    const time = { ms: 0 };
    const { gateway, pushes } = countingGateway(time, 10);
    const queue: FanoutTask[] = [];
    const deps = {
      subscriptions: store([ids(5, "c")]),
      clock,
      gateway,
      forgetConnection: async () => {},
      log,
      concurrency: 1,
      tasks: { enqueue: async (more: FanoutTask[]) => void queue.push(...more) },
    };
    const task: FanoutTask = { frame, shard: 0, after: "c0001" };
    const run = await runFanoutTasks(
      deps,
      [
        { id: "poison", body: "not a task" },
        { id: "late", body: encodeTask(task) },
      ],
      { deadline: { remainingMs: () => 10 }, reserveMs: 50 },
    );
    expect(run.failed).toEqual(["poison"]);
    expect(queue).toEqual([task]);
    expect(pushes.size).toBe(0);
  });
});

describe("a big game's tasks over 64 shards", () => {
  const plan = { splitAbove: 2_000, workers: 8 };
  /** `n` fans spread over 64 shards as the subscription store spreads them. */
  const game = (n: number) => {
    const byShard: string[][] = Array.from({ length: 64 }, () => []);
    for (const id of ids(n, "fan-")) byShard[shardOf(id, 64)]!.push(id);
    return store(byShard);
  };
  const sizes = (subscriptions: ReturnType<typeof game>, tasks: number[][]) =>
    tasks.map((shards) => shards.reduce((sum, shard) => sum + (subscriptions.sizes[shard] ?? 0), 0));

  it("100,000 fans: a task per shard (~1,560 each, eight per worker), found by peeking at 250 per shard", async () => {
    const subscriptions = game(100_000);
    const audience = await audienceOf(subscriptions, frame.topic, plan);
    expect(audience.size).toBe("big");
    const tasks = audience.size === "big" ? audience.tasks : [];
    expect(tasks).toHaveLength(64);
    expect(tasks.every((shards) => shards.length === 1)).toBe(true);
    expect(Math.min(...sizes(subscriptions, tasks))).toBeGreaterThan(1_000);
    expect(subscriptions.queries).toBe(64);
    expect(subscriptions.read).toBe(64 * 250);
  });

  it("3,000 fans: shards grouped into about one task per worker, each worth its queue hop, every shard in exactly one", async () => {
    const subscriptions = game(3_000);
    const audience = await audienceOf(subscriptions, frame.topic, plan);
    const tasks = audience.size === "big" ? audience.tasks : [];
    expect(tasks.length).toBeGreaterThanOrEqual(6);
    expect(tasks.length).toBeLessThanOrEqual(plan.workers);
    expect(Math.min(...sizes(subscriptions, tasks))).toBeGreaterThanOrEqual(250);
    expect(sizes(subscriptions, tasks).reduce((a, b) => a + b, 0)).toBe(3_000);
    expect(
      tasks
        .flat()
        .sort((a, b) => a - b)
        .join(),
    ).toBe([...Array(64).keys()].filter((shard) => (subscriptions.sizes[shard] ?? 0) > 0).join());
  });

  it("1,500 fans: the single-invocation path, from the pages the peek read (one query per shard)", async () => {
    const subscriptions = game(1_500);
    const audience = await audienceOf(subscriptions, frame.topic, plan);
    expect(audience.size).toBe("small");
    expect(subscriptions.queries).toBe(64);
  });

  it("a grouped task that runs out of time continues at its cursor with the shards it had not started; nobody twice", async () => {
    const time = { ms: 0 };
    const { gateway, pushes } = countingGateway(time, 10);
    const subscriptions = store([ids(12, "a"), ids(12, "b"), [], ids(12, "d")]);
    const seen = await drainTasks({ frame, shard: 0, more: [1, 2, 3] }, subscriptions, gateway, time, 2);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.some((task) => task.shard === 1 && task.more?.join() === "2,3")).toBe(true);
    expect(pushes.size).toBe(36);
    expect(Math.max(...pushes.values())).toBe(1);
  });

  it("a task's list of shards round-trips, and a bad one is refused", () => {
    const task: FanoutTask = { frame, shard: 5, after: "c0001", more: [6, 9] };
    expect(decodeTask(encodeTask(task))).toEqual(task);
    expect(() => decodeTask(JSON.stringify({ frame, shard: 1, more: [2, -1] }))).toThrow(/list of shards/);
  });
});

describe("the stream consumer's deadline", () => {
  it("does not start a publication it has no time for: its records are reported for retry", async () => {
    const published: string[] = [];
    let remaining = 1_000;
    const records = ["g1", "g2"].map((gameId, index) => ({ eventName: "MODIFY", dynamodb: { SequenceNumber: String(index + 1), gameId } }));
    const response = await processStreamBatch(records, {
      decode: (record) => ({ sequenceNumber: record.dynamodb!.SequenceNumber!, eventName: "MODIFY", newImage: record.dynamodb as never }),
      publicationOf: async (change) => ({ ...frame, topic: `game/${(change.newImage as { gameId: string }).gameId}` }),
      publish: async (published_frame) => {
        published.push(published_frame.topic);
        remaining = 10;
      },
      outOfTime: () => remaining < 100,
      log,
    });
    expect(published).toEqual(["game/g1"]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "2" }]);
  });
});

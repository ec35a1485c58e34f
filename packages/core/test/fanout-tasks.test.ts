import { describe, expect, it } from "vitest";
import { DeliveryMemo, fanOut } from "../src/fanout";
import type { Deadline, FanoutTask, Gateway, Log, Subscription, SubscriptionStore } from "../src/ports";
import type { MessageFrame } from "../src/protocol";
import { uniformShardCounts } from "../src/shards";
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
function store(byShard: string[][]): SubscriptionStore & { queries: number } {
  const sorted = byShard.map((ids) => [...ids].sort());
  const subscriptions: SubscriptionStore & { queries: number } = {
    shardCounts: uniformShardCounts(sorted.length),
    queries: 0,
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

  it("an audience above the threshold becomes one task per non-empty shard; a small one is pushed from the pages read", async () => {
    const big = await audienceOf(store([ids(3, "a"), [], ids(3, "b")]), frame.topic, 5);
    expect(big).toEqual({ size: "big", shards: [0, 2] });
    const subscriptions = store([ids(2, "a"), [], ids(3, "b")]);
    const small = await audienceOf(subscriptions, frame.topic, 5);
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
    const queue: FanoutTask[] = [{ frame, shard: 0 }];
    const tasks = { enqueue: async (more: FanoutTask[]) => void queue.push(...more) };
    let invocations = 0;
    while (queue.length > 0) {
      const task = queue.shift()!;
      invocations++;
      // Each invocation is a fresh instance (empty memo) with 150 ms, of which 50 are kept in reserve.
      const deps = {
        subscriptions,
        clock,
        gateway,
        forgetConnection: async () => {},
        log,
        concurrency: 3,
        memo: new DeliveryMemo(),
        tasks,
      };
      const run = await runFanoutTasks(deps, [{ id: `m${invocations}`, body: encodeTask(task) }], {
        deadline: deadlineAt(time, 150),
        reserveMs: 50,
      });
      expect(run.failed).toEqual([]);
      expect(invocations).toBeLessThan(20);
    }
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

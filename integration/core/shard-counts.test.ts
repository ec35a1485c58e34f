/**
 * A topic kind's shard count changed on live connections loses nothing
 * (issue 12, hot topics): connections opened under one count and under the
 * next hold the same topic; the fan-out (in one invocation and split into
 * tasks) reaches each of them exactly once, and unsubscribe and disconnect
 * leave no subscription item behind. Through the real use cases and the
 * DynamoDB adapters on DynamoDB Local; the Management API is a recorder (the
 * posts are not under test, where the items live is).
 */
import { createTables, startDynamoDbLocal, type DynamoDbLocal } from "@pushgate/local/dynamodb";
import { ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDocumentClient } from "@pushgate/core/adapters/aws-clients";
import { DynamoConnectionStore } from "@pushgate/core/adapters/dynamo-connections";
import { DynamoGameStore } from "@pushgate/core/adapters/dynamo-games";
import { DynamoJobStore } from "@pushgate/core/adapters/dynamo-jobs";
import { DynamoQueueStore } from "@pushgate/core/adapters/dynamo-queues";
import { DynamoSubscriptionStore } from "@pushgate/core/adapters/dynamo-subscriptions";
import { fanOut, type FanoutDeps } from "@pushgate/core/fanout";
import type { FanoutTask, Gateway, SnapshotStore } from "@pushgate/core/ports";
import type { MessageFrame } from "@pushgate/core/protocol";
import { shardOf, uniformShardCounts, type ShardCounts } from "@pushgate/core/shards";
import { topology } from "@pushgate/core/topology";
import { connect, connectionExpiry, forgetConnection } from "@pushgate/core/usecases/connections";
import { audienceOf, encodeTask, runFanoutTasks, tasksOf } from "@pushgate/core/usecases/fanout-tasks";
import { subscribe, unsubscribe } from "@pushgate/core/usecases/subscriptions";

const region = "us-east-1";
// A day ahead of the real clock: the items' TTLs come from it, and DynamoDB Local's own sweep would delete ones "expired" by real time.
const now = Date.now() + 24 * 3600_000;
const clock = { now: () => now };
let dynamo: DynamoDbLocal;
let db: DynamoDBDocumentClient;
let tables: Record<string, string>;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
  dynamo = await startDynamoDbLocal({});
  tables = (await createTables({ endpoint: dynamo.endpoint, topology, stage: "shards" })).tableNames;
  db = dynamoDocumentClient({ region, dynamodbEndpoint: dynamo.endpoint });
});

afterAll(async () => {
  await dynamo?.stop();
});

/** The functions of one deploy: the same tables, this deploy's shard counts. */
function deploy(counts: ShardCounts) {
  const connections = new DynamoConnectionStore(db, () => tables.connections!);
  const subscriptions = new DynamoSubscriptionStore(db, () => tables.subscriptions!, counts, 3);
  const snapshots = { presignSnapshot: async () => ({ url: "https://snapshots.invalid/", expiresAt: "" }) } as unknown as SnapshotStore;
  const subscribeDeps = {
    connections,
    subscriptions,
    games: new DynamoGameStore(db, () => tables.games!),
    queues: new DynamoQueueStore(
      db,
      () => tables.queues!,
      () => tables.places!,
    ),
    jobs: new DynamoJobStore(db, () => tables.jobs!),
    snapshots,
    maxTopicsPerConnection: 50,
  };
  const meter = { count: () => {}, milliseconds: () => {} };
  const forgetDeps = { connections, subscriptions, meter };
  return {
    subscriptions,
    open: (connectionId: string) =>
      connect(
        { connections, subscriptions, clock, meter, tokens: { verify: async () => "fan-a" } },
        { connectionId, secWebSocketProtocol: "pushgate.v1, token.x" },
      ),
    subscribe: async (connectionId: string, topics: string[]) => {
      const ack = await subscribe(subscribeDeps, connectionId, { action: "subscribe", id: "s", topics });
      expect(ack.refused).toBeUndefined();
    },
    unsubscribe: (connectionId: string, topics: string[]) =>
      unsubscribe(subscribeDeps, connectionId, { action: "unsubscribe", id: "u", topics }),
    close: (connectionId: string) => forgetConnection(forgetDeps, connectionId),
    fanoutDeps: (gateway: Gateway): FanoutDeps => ({
      subscriptions,
      clock,
      gateway,
      forgetConnection: (connectionId) => forgetConnection(forgetDeps, connectionId),
      log: { warn: () => {}, error: () => {} },
      concurrency: 8,
    }),
  };
}

function recorder() {
  const posts = new Map<string, number>();
  const gateway: Gateway = {
    post: async (connectionId) => (posts.set(connectionId, (posts.get(connectionId) ?? 0) + 1), "ok"),
    delete: async () => {},
  };
  return { gateway, posts };
}

const frame = (topic: string): MessageFrame => ({
  type: "message",
  topic,
  seq: 1,
  kind: "score-update",
  data: { home: 1, away: 0 },
  ts: new Date(now).toISOString(),
});

/** Each connection pushed to once, by the single invocation's fan-out and by the tasks of a split one. */
async function expectEachReachedOnce(run: ReturnType<typeof deploy>, topic: string, audience: string[]) {
  const here = recorder();
  await fanOut(frame(topic), run.fanoutDeps(here.gateway));
  expect([...here.posts.keys()].sort()).toEqual([...audience].sort());
  expect(Math.max(...here.posts.values())).toBe(1);

  const split = recorder();
  const audienceNow = await audienceOf(run.subscriptions, topic, { splitAbove: 1, workers: 8 });
  expect(audienceNow.size).toBe("big");
  const tasks: FanoutTask[] = audienceNow.size === "big" ? tasksOf(frame(topic), audienceNow.tasks) : [];
  const queue = { enqueue: async (more: FanoutTask[]) => void tasks.push(...more) };
  const deadline = { remainingMs: () => 60_000 };
  for (let i = 0; i < tasks.length; i++)
    await runFanoutTasks(
      { ...run.fanoutDeps(split.gateway), tasks: queue, log: { warn: () => {}, error: () => {} } },
      [{ id: `m${i}`, body: encodeTask(tasks[i]!) }],
      { deadline, reserveMs: 0 },
    );
  expect([...split.posts.keys()].sort()).toEqual([...audience].sort());
  expect(Math.max(...split.posts.values())).toBe(1);
}

async function subscriptionItems(topicPrefix: string): Promise<{ connectionId: string; topic: string; topicShard: string }[]> {
  const { Items = [] } = await db.send(new ScanCommand({ TableName: tables.subscriptions! }));
  return (Items as { connectionId: string; topic: string; topicShard: string }[]).filter((item) => item.topic.startsWith(topicPrefix));
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}=`);

describe("a kind's shard count changed on live connections", () => {
  for (const [change, before, after] of [
    ["raised", { count: 4, before: 4 }, { count: 16, before: 4 }],
    ["lowered", { count: 16, before: 16 }, { count: 2, before: 16 }],
  ] as const) {
    it(`${change} (game ${before.count} -> ${after.count}): every fan is pushed to once, and unsubscribe and disconnect leave no orphan`, async () => {
      const topic = `game/${change}`;
      const old = deploy({ ...uniformShardCounts(1), game: before });
      const next = deploy({ ...uniformShardCounts(1), game: after });
      // Ids whose shard under the new count differs from the old one's are the ones a recomputed shard would lose.
      const early = ids(`${change}-early-`, 24);
      const late = ids(`${change}-late-`, 12);
      expect(early.filter((id) => shardOf(id, before.count) !== shardOf(id, after.count)).length).toBeGreaterThan(6);

      for (const id of early) await old.open(id);
      for (const id of early.slice(0, 12)) await old.subscribe(id, [topic]);
      // The deploy: the connections opened before stay, and subscribe through the new functions.
      for (const id of early.slice(12)) await next.subscribe(id, [topic]);
      for (const id of late) await next.open(id);
      for (const id of late) await next.subscribe(id, [topic]);

      await expectEachReachedOnce(next, topic, [...early, ...late]);

      for (const id of [...early.slice(0, 4), ...early.slice(12, 16), ...late.slice(0, 4)]) await next.unsubscribe(id, [topic]);
      for (const id of [...early.slice(4, 8), ...early.slice(16, 20), ...late.slice(4, 8)]) await next.close(id);
      const live = [...early.slice(8, 12), ...early.slice(20), ...late.slice(8)];
      await expectEachReachedOnce(next, topic, live);
      expect((await subscriptionItems(topic)).map((item) => item.connectionId).sort()).toEqual([...live].sort());

      for (const id of live) await next.close(id);
      expect(await subscriptionItems(topic)).toEqual([]);
    }, 60_000);
  }

  it("a connection stored before kinds had their own counts (one shard of 8 for all) keeps its job subscription findable and deletable", async () => {
    const connections = new DynamoConnectionStore(db, () => tables.connections!);
    const run = deploy({ ...uniformShardCounts(64), job: { count: 1, before: 8 } });
    const id = ids("legacy-", 20).find((candidate) => shardOf(candidate, 8) !== 0)!;
    // As the previous release stored it: `shard` of 8, and the subscription in that shard.
    await connections.put({
      connectionId: id,
      fanId: "fan-a",
      topics: [],
      connectedAt: new Date(now).toISOString(),
      expiresAt: connectionExpiry(new Date(now)),
      shard: shardOf(id, 8),
    });
    const at = new Date(now).toISOString();
    await new DynamoJobStore(db, () => tables.jobs!).create({
      jobId: "legacy",
      fanId: "fan-a",
      kind: "report",
      status: "pending",
      createdAt: at,
      updatedAt: at,
      seq: 0,
      expiresAt: connectionExpiry(new Date(now)),
    });
    await run.subscribe(id, ["job/legacy"]);
    expect((await subscriptionItems("job/legacy")).map((item) => item.topicShard)).toEqual([`job/legacy#${shardOf(id, 8)}`]);

    const here = recorder();
    await fanOut(frame("job/legacy"), run.fanoutDeps(here.gateway));
    expect([...here.posts.keys()]).toEqual([id]);
    await run.close(id);
    expect(await subscriptionItems("job/legacy")).toEqual([]);
  });
});

import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import {
  createTables,
  localDynamoDbClientConfig,
  ServiceDeletions,
  startDynamoDbLocal,
  startTtlSweeper,
  type DynamoDbLocal,
  type TtlSweeper,
} from "../../src/dynamodb/index";
import { restAfter, type StreamClock } from "../../src/streams/clock";
import { startStreamConsumer, type StreamConsumer } from "../../src/streams/index";
import { consumerDecl, dynamo, eventually, Recorder } from "../streams/helpers";

// Tables here have no TTL enabled in DynamoDB Local, so its own (unreliable)
// sweeper never deletes anything: every deletion seen is the local cloud's.
const serviceIdentity = { type: "Service", principalId: "dynamodb.amazonaws.com" };
const nowSeconds = () => Math.floor(Date.now() / 1000);

let db: DynamoDbLocal;
let client: DynamoDBClient;
let tableCounter = 0;
const running: { stop(): Promise<void> }[] = [];
beforeAll(async () => {
  db = await startDynamoDbLocal({});
  client = dynamo(db);
});
afterEach(async () => {
  for (const thing of running.splice(0).reverse()) await thing.stop();
});
afterAll(async () => {
  client?.destroy();
  await db?.stop();
});

interface Setup {
  tableName: string;
  sweeper: TtlSweeper;
  consumer: StreamConsumer;
  recorder: Recorder;
  serviceDeletions: ServiceDeletions;
}

async function setUp(
  options: { intervalMs?: number; pageSize?: number; afterScanPage?: () => Promise<void>; clock?: StreamClock } = {},
): Promise<Setup> {
  const logical = `ttl${++tableCounter}`;
  const { tableNames, streamArns } = await createTables({
    endpoint: db.endpoint,
    stage: "test",
    topology: { app: "sweeper", tables: { [logical]: { partitionKey: { name: "id", type: "string" }, stream: true } } },
  });
  const tableName = tableNames[logical]!;
  const serviceDeletions = new ServiceDeletions();
  const recorder = new Recorder();
  const consumer = await startStreamConsumer({
    endpoint: db.endpoint,
    streamArn: streamArns[logical]!,
    tableName,
    consumer: consumerDecl({ startingPosition: "LATEST" }),
    serviceDeletions,
    invoke: async (event) => void recorder.events.push(event),
  });
  running.push(consumer);
  const sweeper = startTtlSweeper({
    clientConfig: localDynamoDbClientConfig(db.endpoint),
    tables: [{ tableName, ttlAttribute: "expiresAt", keyNames: ["id"] }],
    serviceDeletions,
    // Long by default: the tests drive sweepOnce() themselves.
    intervalMs: options.intervalMs ?? 3_600_000,
    ...(options.pageSize !== undefined && { pageSize: options.pageSize }),
    ...(options.afterScanPage && { afterScanPage: options.afterScanPage }),
    ...(options.clock && { clock: options.clock }),
  });
  running.push(sweeper);
  // Sweeps run one at a time, so this waits for the one the loop runs at start too.
  await sweeper.sweepOnce();
  return { tableName, sweeper, consumer, recorder, serviceDeletions };
}

const put = (tableName: string, id: string, expiresAt: { N: string } | { S: string }) =>
  client.send(new PutItemCommand({ TableName: tableName, Item: { id: { S: id }, expiresAt } }));
const exists = async (tableName: string, id: string) =>
  (await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }))).Item !== undefined;
const removes = (recorder: Recorder) => recorder.records.filter((record) => record.eventName === "REMOVE");

it("deletes an expired item within the sweep interval, and the consumer gets REMOVE with the service userIdentity", async () => {
  const { tableName, recorder } = await setUp({ intervalMs: 500 });
  await put(tableName, "expired", { N: String(nowSeconds() - 60) });
  await put(tableName, "fresh", { N: String(nowSeconds() + 3600) });
  // The bound is the interval (500 ms) plus one sweep; 10 s only guards a loaded machine.
  await eventually(() => removes(recorder).length > 0, 10_000, "the sweeper's REMOVE to reach the consumer");
  expect(await exists(tableName, "expired")).toBe(false);
  expect(await exists(tableName, "fresh")).toBe(true);
  expect(removes(recorder)).toHaveLength(1);
  expect(removes(recorder)[0]).toMatchObject({
    eventName: "REMOVE",
    userIdentity: serviceIdentity,
    dynamodb: { Keys: { id: { S: "expired" } }, OldImage: { id: { S: "expired" } } },
  });
});

it("keeps an item renewed between the Scan and the DeleteItem (the delete is conditional)", async () => {
  let tableName = "";
  let renewDuringSweep = false;
  const { consumer, recorder, sweeper, serviceDeletions, ...rest } = await setUp({
    afterScanPage: async () => {
      if (!renewDuringSweep) return;
      renewDuringSweep = false;
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { id: { S: "renewed" } },
          UpdateExpression: "SET expiresAt = :later",
          ExpressionAttributeValues: { ":later": { N: String(nowSeconds() + 3600) } },
        }),
      );
    },
  });
  tableName = rest.tableName;
  await put(tableName, "renewed", { N: String(nowSeconds() - 60) });
  renewDuringSweep = true;
  expect(await sweeper.sweepOnce()).toEqual({ deleted: 0, kept: 1 });
  expect(await exists(tableName, "renewed")).toBe(true);
  await consumer.drained();
  expect(removes(recorder)).toEqual([]);
  expect(serviceDeletions.size).toBe(0);
});

it("leaves a user's own DeleteItem without userIdentity, even of an expired item", async () => {
  const { tableName, consumer, recorder } = await setUp();
  await put(tableName, "mine", { N: String(nowSeconds() - 60) });
  await client.send(new DeleteItemCommand({ TableName: tableName, Key: { id: { S: "mine" } } }));
  await consumer.drained();
  expect(removes(recorder)).toHaveLength(1);
  expect(removes(recorder)[0]).not.toHaveProperty("userIdentity");
});

it("ignores what AWS ignores: TTL values over five years old, and non-Number attributes", async () => {
  const { tableName, sweeper } = await setUp();
  await put(tableName, "ancient", { N: String(nowSeconds() - 6 * 365 * 24 * 3600) });
  await put(tableName, "text", { S: String(nowSeconds() - 60) });
  expect(await sweeper.sweepOnce()).toEqual({ deleted: 0, kept: 0 });
  expect(await exists(tableName, "ancient")).toBe(true);
  expect(await exists(tableName, "text")).toBe(true);
});

it("pages through a big table and gives every deletion the service identity", async () => {
  const { tableName, sweeper, consumer, recorder } = await setUp({ pageSize: 100 });
  const expired = { N: String(nowSeconds() - 60) };
  const ids = Array.from({ length: 450 }, (_, index) => `item-${index}`);
  for (let start = 0; start < ids.length; start += 25) {
    const batch = ids.slice(start, start + 25).map((id) => ({ PutRequest: { Item: { id: { S: id }, expiresAt: expired } } }));
    await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } }));
  }
  await put(tableName, "kept", { N: String(nowSeconds() + 3600) });
  expect(await sweeper.sweepOnce()).toEqual({ deleted: 450, kept: 0 });
  await consumer.drained();
  expect(removes(recorder)).toHaveLength(450);
  expect(removes(recorder).every((record) => record.userIdentity?.principalId === "dynamodb.amazonaws.com")).toBe(true);
  expect(await exists(tableName, "kept")).toBe(true);
}, 60_000);

it("pauses after a sweep at least four times as long as the sweep took: big tables cannot keep DynamoDB Local busy", async () => {
  expect(restAfter(5_000, 100)).toBe(5_000);
  expect(restAfter(5_000, 10_000)).toBe(40_000);

  // A clock on which each Scan page takes 10 s, and whose sleeps only end at stop().
  let now = Date.now();
  const pauses: number[] = [];
  const clock: StreamClock = {
    now: () => now,
    sleep: (ms, signal) => {
      pauses.push(ms);
      return new Promise((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), { once: true });
      });
    },
  };
  const pages: number[] = [];
  await setUp({
    intervalMs: 5_000,
    pageSize: 1,
    clock,
    afterScanPage: async () => {
      pages.push(now);
      now += 10_000;
    },
  });
  await eventually(() => pauses.length >= 1, 10_000, "the sweeper's first pause");
  // An empty table is one page: a 10 s sweep, then (at least) 40 s of rest rather than the 5 s interval.
  expect(pages.length).toBeGreaterThanOrEqual(1);
  expect(pauses[0]).toBeGreaterThanOrEqual(40_000);
  expect(pauses[0]! % 40_000).toBe(0);
});

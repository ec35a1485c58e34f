import { BatchWriteItemCommand, DeleteItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ExpiredIteratorException } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBBatchResponse } from "aws-lambda";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startDynamoDbLocal, type DynamoDbLocal } from "../../src/dynamodb/index";
import {
  FileOnFailureDestination,
  localStreamsApi,
  MemoryOnFailureDestination,
  startStreamConsumer,
  systemStreamClock,
  type StartStreamConsumerOptions,
  type StreamConsumer,
  type StreamsApi,
} from "../../src/streams/index";
import { consumerDecl, dynamo, eventually, freshTable, Recorder } from "./helpers";

let db: DynamoDbLocal;
let client: DynamoDBClient;
const running: StreamConsumer[] = [];
beforeAll(async () => {
  db = await startDynamoDbLocal({});
  client = dynamo(db);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
});
afterAll(async () => {
  client?.destroy();
  await db?.stop();
});

const put = (tableName: string, id: string, extra: Record<string, unknown> = {}) =>
  client.send(new PutItemCommand({ TableName: tableName, Item: { id: { S: id }, ...(extra as object) } }));

async function putAll(tableName: string, ids: string[]) {
  for (let start = 0; start < ids.length; start += 25) {
    const chunk = ids.slice(start, start + 25);
    await client.send(
      new BatchWriteItemCommand({ RequestItems: { [tableName]: chunk.map((id) => ({ PutRequest: { Item: { id: { S: id } } } })) } }),
    );
  }
}

async function start(options: Omit<StartStreamConsumerOptions, "endpoint">): Promise<StreamConsumer> {
  const consumer = await startStreamConsumer({ endpoint: db.endpoint, retryDelayMs: () => 0, ...options });
  running.push(consumer);
  return consumer;
}

const ids = (count: number, prefix = "item") => Array.from({ length: count }, (_, index) => `${prefix}${String(index).padStart(3, "0")}`);

describe("stream consumer on DynamoDB Local", () => {
  it("delivers a put as a Lambda-shaped DynamoDBStreamEvent (ARN, numeric time, base64 binary, images)", async () => {
    const { tableName, streamArn } = await freshTable(db);
    const recorder = new Recorder();
    let deliveredAt = 0;
    const consumer = await start({
      streamArn,
      tableName,
      consumer: consumerDecl({ startingPosition: "LATEST" }),
      invoke: async (event) => {
        deliveredAt ||= Date.now();
        recorder.events.push(event);
      },
      onFailure: new MemoryOnFailureDestination(),
    });
    const putAt = Date.now();
    await put(tableName, "a", {
      blob: { B: new Uint8Array([0, 255, 7]) },
      n: { N: "42" },
      tags: { SS: ["x", "y"] },
      nested: { M: { bins: { BS: [new Uint8Array([1])] }, list: { L: [{ BOOL: true }, { NULL: true }] } } },
    });
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { id: { S: "a" } },
        UpdateExpression: "SET n = :n",
        ExpressionAttributeValues: { ":n": { N: "43" } },
      }),
    );
    await client.send(new DeleteItemCommand({ TableName: tableName, Key: { id: { S: "a" } } }));
    await consumer.drained();
    console.info(`put -> handler latency ${deliveredAt - putAt} ms (poll interval 50 ms)`);

    const [insert, modify, remove] = recorder.records;
    expect(recorder.records.map((record) => record.eventName)).toEqual(["INSERT", "MODIFY", "REMOVE"]);
    expect(insert).toMatchObject({
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      eventSourceARN: streamArn,
      awsRegion: expect.any(String),
      eventID: expect.any(String),
    });
    const nowSeconds = Date.now() / 1000;
    expect(typeof insert!.dynamodb!.ApproximateCreationDateTime).toBe("number");
    expect(insert!.dynamodb!.ApproximateCreationDateTime!).toBeGreaterThan(nowSeconds - 120);
    expect(insert!.dynamodb!.ApproximateCreationDateTime!).toBeLessThanOrEqual(nowSeconds);
    expect(insert!.dynamodb).toMatchObject({
      Keys: { id: { S: "a" } },
      NewImage: {
        id: { S: "a" },
        blob: { B: Buffer.from([0, 255, 7]).toString("base64") },
        n: { N: "42" },
        tags: { SS: ["x", "y"] },
        nested: { M: { bins: { BS: ["AQ=="] }, list: { L: [{ BOOL: true }, { NULL: true }] } } },
      },
      StreamViewType: "NEW_AND_OLD_IMAGES",
      SequenceNumber: expect.any(String),
      SizeBytes: expect.any(Number),
    });
    expect(insert!.dynamodb).not.toHaveProperty("OldImage");
    expect(modify!.dynamodb?.OldImage?.n).toEqual({ N: "42" });
    expect(modify!.dynamodb?.NewImage?.n).toEqual({ N: "43" });
    expect(remove!.dynamodb?.OldImage?.n).toEqual({ N: "43" });
    expect(remove!.dynamodb).not.toHaveProperty("NewImage");
    expect(remove).not.toHaveProperty("userIdentity");
    // JSON-clean, as a real Lambda event is: no Dates or Uint8Arrays left.
    expect(JSON.parse(JSON.stringify(recorder.events[0]))).toEqual(recorder.events[0]);
  });

  it("measures put -> handler latency on a warm client (logged, not asserted: timing depends on the machine)", async () => {
    const { tableName, streamArn } = await freshTable(db);
    const arrivals = new Map<string, number>();
    const consumer = await start({
      streamArn,
      tableName,
      consumer: consumerDecl({ startingPosition: "LATEST" }),
      invoke: async (event) => {
        for (const record of event.Records) arrivals.set(record.dynamodb!.Keys!.id!.S!, Date.now());
      },
    });
    await put(tableName, "warm-up");
    await consumer.drained();
    const latencies: number[] = [];
    for (let index = 0; index < 15; index++) {
      const id = `m${index}`;
      const sentAt = Date.now();
      await put(tableName, id);
      await eventually(() => arrivals.has(id), 10_000, `record ${id}`);
      latencies.push(arrivals.get(id)! - sentAt);
    }
    latencies.sort((a, b) => a - b);
    console.info(`put -> handler latency, 15 puts, 50 ms polling: median ${latencies[7]} ms, max ${latencies[14]} ms`);
    expect(arrivals.size).toBe(16);
  });

  it("starts at LATEST without replaying older records, and at TRIM_HORIZON with them", async () => {
    const { tableName, streamArn } = await freshTable(db);
    await put(tableName, "old");
    const latest = new Recorder();
    const horizon = new Recorder();
    const a = await start({
      streamArn,
      tableName,
      consumer: consumerDecl({ startingPosition: "LATEST" }),
      invoke: async (event) => void latest.events.push(event),
    });
    const b = await start({
      streamArn,
      tableName,
      consumer: consumerDecl({ startingPosition: "TRIM_HORIZON" }),
      invoke: async (event) => void horizon.events.push(event),
    });
    await put(tableName, "new");
    await Promise.all([a.drained(), b.drained()]);
    expect(latest.ids()).toEqual(["new"]);
    expect(horizon.ids()).toEqual(["old", "new"]);
  });

  it("honours batchSize and keeps per-shard order across batches", async () => {
    const { tableName, streamArn } = await freshTable(db);
    const written = ids(23);
    await putAll(tableName, written);
    const recorder = new Recorder();
    const consumer = await start({
      streamArn,
      tableName,
      consumer: consumerDecl({ batchSize: 5 }),
      invoke: async (event) => void recorder.events.push(event),
    });
    await consumer.drained();
    expect(recorder.batchSizes).toEqual([5, 5, 5, 5, 3]);
    expect(recorder.ids()).toEqual(written);
    const sequenceNumbers = recorder.records.map((record) => BigInt(record.dynamodb!.SequenceNumber!));
    expect(sequenceNumbers.every((value, index) => index === 0 || value > sequenceNumbers[index - 1]!)).toBe(true);
  });

  it("waits up to maxBatchingWindowSeconds to fill a batch (driven by an injected clock)", async () => {
    const { tableName, streamArn } = await freshTable(db);
    let now = Date.now();
    const clock = { now: () => now, sleep: systemStreamClock.sleep };
    const recorder = new Recorder();
    const consumer = await start({
      streamArn,
      tableName,
      clock,
      consumer: consumerDecl({ startingPosition: "LATEST", batchSize: 10, maxBatchingWindowSeconds: 60 }),
      invoke: async (event) => void recorder.events.push(event),
    });
    await put(tableName, "first");
    await eventually(() => consumer.stats.recordsRead === 1, 10_000, "the first record to be read");
    await put(tableName, "second");
    await eventually(() => consumer.stats.recordsRead === 2, 10_000, "the second record to be read");
    // The window has not passed on the injected clock: both wait in the buffer.
    expect(recorder.events).toHaveLength(0);
    now += 61_000;
    await consumer.drained();
    expect(recorder.batchSizes).toEqual([2]);
    expect(recorder.ids()).toEqual(["first", "second"]);
  });

  it("invokes as soon as batchSize records are there, even inside the batching window", async () => {
    const { tableName, streamArn } = await freshTable(db);
    const clock = { now: () => 0, sleep: systemStreamClock.sleep }; // time never passes
    const recorder = new Recorder();
    await putAll(tableName, ids(6));
    const consumer = await start({
      streamArn,
      tableName,
      clock,
      consumer: consumerDecl({ batchSize: 3, maxBatchingWindowSeconds: 300 }),
      invoke: async (event) => void recorder.events.push(event),
    });
    await consumer.drained();
    expect(recorder.batchSizes).toEqual([3, 3]);
  });

  it("drops records that match no filter, counting them as processed", async () => {
    const { tableName, streamArn } = await freshTable(db);
    const recorder = new Recorder();
    const consumer = await start({
      streamArn,
      tableName,
      consumer: consumerDecl({
        // The jobWorker filter from topology.ts, plus a second pattern (patterns are OR-ed).
        filters: [
          { eventName: ["INSERT"], dynamodb: { NewImage: { status: { S: ["pending"] } } } },
          { dynamodb: { Keys: { id: { S: [{ prefix: "vip-" }] } } } },
        ],
      }),
      invoke: async (event) => void recorder.events.push(event),
    });
    await put(tableName, "p1", { status: { S: "pending" } });
    await put(tableName, "r1", { status: { S: "ready" } });
    await put(tableName, "n1");
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { id: { S: "p1" } },
        UpdateExpression: "SET note = :x",
        ExpressionAttributeValues: { ":x": { S: "x" } },
      }),
    );
    await put(tableName, "vip-1");
    await consumer.drained();
    expect(recorder.ids()).toEqual(["p1", "vip-1"]);
    expect(consumer.stats.recordsFiltered).toBe(3);
  });

  it("bisects a batch around a poisoned record, retries it, discards it to the destination and delivers the rest", async () => {
    const { tableName, streamArn } = await freshTable(db);
    const written = ids(8);
    written[5] = "poison";
    await putAll(tableName, written);
    const destination = new MemoryOnFailureDestination();
    const recorder = new Recorder();
    const poisonAttempts: number[] = [];
    const consumer = await start({
      streamArn,
      tableName,
      onFailure: destination,
      consumer: consumerDecl({ batchSize: 8, bisectBatchOnError: true, retryAttempts: 2 }),
      invoke: async (event) => {
        const batch = recorder.ids(event.Records);
        if (batch.includes("poison")) {
          poisonAttempts.push(batch.length);
          throw new Error("cannot handle poison");
        }
        recorder.events.push(event);
      },
    });
    await consumer.drained();
    // 8 -> 4 -> 2 -> 1, then the lone record: first try plus 2 retries.
    expect(poisonAttempts).toEqual([8, 4, 2, 1, 1, 1]);
    expect(recorder.ids()).toEqual(written.filter((id) => id !== "poison"));
    expect(destination.records).toHaveLength(1);
    const [failure] = destination.records;
    expect(failure).toMatchObject({
      requestContext: { condition: "RetryAttemptsExhausted", approximateInvokeCount: 3, functionArn: expect.stringContaining("test") },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      version: "1.0",
      DDBStreamBatchInfo: { batchSize: 1, streamArn, shardId: expect.stringMatching(/^shardId-/) },
      errorMessage: "Error: cannot handle poison",
    });
    expect(failure!.DDBStreamBatchInfo.startSequenceNumber).toBe(failure!.records[0]!.dynamodb!.SequenceNumber);
    expect(recorder.ids(failure!.records)).toEqual(["poison"]);

    // The poller survived the throwing handler: later writes still arrive.
    await put(tableName, "after");
    await consumer.drained();
    expect(recorder.ids().at(-1)).toBe("after");
  });

  it("without bisect, retries the whole batch retryAttempts times, then discards it and moves on", async () => {
    const { tableName, streamArn } = await freshTable(db);
    await putAll(tableName, ["a", "bad", "c"]);
    const destination = new MemoryOnFailureDestination();
    let invocations = 0;
    const consumer = await start({
      streamArn,
      tableName,
      onFailure: destination,
      consumer: consumerDecl({ batchSize: 10, retryAttempts: 1 }),
      invoke: async (event) => {
        invocations += 1;
        if (event.Records.some((record) => record.dynamodb?.Keys?.id?.S === "bad")) throw new Error("boom");
      },
    });
    await consumer.drained();
    expect(invocations).toBe(2);
    expect(destination.discarded.map((record) => record.dynamodb?.Keys?.id?.S)).toEqual(["a", "bad", "c"]);
    expect(consumer.stats).toMatchObject({ recordsDiscarded: 3, recordsDelivered: 0, failedInvocations: 2 });
  });

  it("with reportBatchItemFailures, checkpoints before the first failed record and retries from it", async () => {
    const { tableName, streamArn } = await freshTable(db);
    await putAll(tableName, ["a", "b", "c", "d"]);
    const batches: string[][] = [];
    const recorder = new Recorder();
    const consumer = await start({
      streamArn,
      tableName,
      consumer: consumerDecl({ batchSize: 10, reportBatchItemFailures: true }),
      invoke: async (event): Promise<DynamoDBBatchResponse> => {
        batches.push(recorder.ids(event.Records));
        if (batches.length > 1) return { batchItemFailures: [] };
        // "b" and "d" fail the first time; Lambda resumes from the lowest, "b".
        const failed = event.Records.filter((record) => ["b", "d"].includes(record.dynamodb!.Keys!.id!.S!));
        return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.dynamodb!.SequenceNumber! })) };
      },
    });
    await consumer.drained();
    expect(batches).toEqual([
      ["a", "b", "c", "d"],
      ["b", "c", "d"],
    ]);
    expect(consumer.stats.recordsDelivered).toBe(4);
  });

  it("fails the whole batch on an empty or unknown itemIdentifier, as Lambda does", async () => {
    const { tableName, streamArn } = await freshTable(db);
    await putAll(tableName, ["a", "b"]);
    const batches: string[][] = [];
    const recorder = new Recorder();
    const consumer = await start({
      streamArn,
      tableName,
      consumer: consumerDecl({ batchSize: 10, reportBatchItemFailures: true }),
      invoke: async (event) => {
        batches.push(recorder.ids(event.Records));
        if (batches.length === 1) return { batchItemFailures: [{ itemIdentifier: "" }] };
        if (batches.length === 2) return { batchItemFailures: [{ itemIdentifier: "not-a-sequence-number" }] };
        return { batchItemFailures: [] };
      },
    });
    await consumer.drained();
    expect(batches).toEqual([
      ["a", "b"],
      ["a", "b"],
      ["a", "b"],
    ]);
  });

  it("discards records older than maxRecordAgeSeconds without invoking (RecordAgeExceeded)", async () => {
    const { tableName, streamArn } = await freshTable(db);
    await putAll(tableName, ["old1", "old2"]);
    const twoHoursLater = { now: () => Date.now() + 2 * 3600_000, sleep: systemStreamClock.sleep };
    const destination = new MemoryOnFailureDestination();
    let invocations = 0;
    const consumer = await start({
      streamArn,
      tableName,
      clock: twoHoursLater,
      onFailure: destination,
      consumer: consumerDecl({ maxRecordAgeSeconds: 3600 }),
      invoke: async () => void (invocations += 1),
    });
    await consumer.drained();
    expect(invocations).toBe(0);
    expect(destination.records.map((record) => record.requestContext.condition)).toEqual(["RecordAgeExceeded"]);
    expect(destination.discarded.map((record) => record.dynamodb?.Keys?.id?.S)).toEqual(["old1", "old2"]);
  });

  it("re-acquires the iterator after ExpiredIteratorException without losing or repeating records", async () => {
    const { tableName, streamArn } = await freshTable(db);
    const real = localStreamsApi(db.endpoint);
    let expireNext = false;
    // DynamoDB Local's iterators expire after 15 minutes; fail one GetRecords the way AWS does instead of waiting.
    const expiring: StreamsApi = {
      describeStream: (input) => real.describeStream(input),
      getShardIterator: (input) => real.getShardIterator(input),
      getRecords: async (input) => {
        if (expireNext) {
          expireNext = false;
          throw new ExpiredIteratorException({ message: "Iterator expired", $metadata: {} });
        }
        return real.getRecords(input);
      },
    };
    const recorder = new Recorder();
    const consumer = await start({
      streamArn,
      tableName,
      streamsClient: expiring,
      consumer: consumerDecl(),
      invoke: async (event) => void recorder.events.push(event),
    });
    await putAll(tableName, ["a", "b"]);
    await consumer.drained();
    expireNext = true;
    await putAll(tableName, ["c", "d"]);
    await consumer.drained();
    expect(consumer.stats.iteratorRecoveries).toBe(1);
    expect(recorder.ids()).toEqual(["a", "b", "c", "d"]);
    real.destroy();
  });

  it("writes discarded batches as JSON lines to .pushgate/dead-letters/<consumer>.jsonl", async () => {
    const { tableName, streamArn } = await freshTable(db);
    const dir = mkdtempSync(join(tmpdir(), "pushgate-dlq-"));
    try {
      await put(tableName, "x");
      const consumer = await start({
        name: "gamesFanout",
        streamArn,
        tableName,
        onFailure: new FileOnFailureDestination(dir),
        consumer: consumerDecl({ retryAttempts: 0 }),
        invoke: async () => {
          throw new Error("down");
        },
      });
      await consumer.drained();
      const lines = readFileSync(join(dir, "gamesFanout.jsonl"), "utf8").trim().split("\n");
      expect(lines).toHaveLength(1);
      const failure = JSON.parse(lines[0]!);
      expect(failure).toMatchObject({
        consumer: "gamesFanout",
        requestContext: { condition: "RetryAttemptsExhausted" },
        DDBStreamBatchInfo: { streamArn, batchSize: 1 },
      });
      expect(failure.records[0].dynamodb.Keys).toEqual({ id: { S: "x" } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops cleanly: no invocation after stop(), and drained() on a stopped consumer rejects", async () => {
    const { tableName, streamArn } = await freshTable(db);
    let invocations = 0;
    const consumer = await start({ streamArn, tableName, consumer: consumerDecl(), invoke: async () => void (invocations += 1) });
    await put(tableName, "a");
    await consumer.drained();
    await consumer.stop();
    await put(tableName, "b");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(invocations).toBe(1);
    await expect(consumer.drained()).rejects.toThrow(/stopped/);
  });

  it("fails at start with a clear message for a stream that does not exist", async () => {
    await expect(
      startStreamConsumer({
        endpoint: db.endpoint,
        streamArn: "arn:aws:dynamodb:ddblocal:000000000000:table/nope/stream/2020-01-01T00:00:00.000",
        tableName: "nope",
        consumer: consumerDecl(),
        invoke: async () => {},
      }),
    ).rejects.toThrow(/cannot read stream .*create the tables first/);
  });
});

import { PutItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startDynamoDbLocal, type DynamoDbLocal } from "../../src/dynamodb/index";
import { startStreamConsumer, type StreamConsumer } from "../../src/streams/index";
import { consumerDecl, dynamo, eventually, freshTable, Recorder } from "./helpers";

// Its own DynamoDB Local: the TTL sweeper of DynamoDB Local slows down badly
// with many tables (with 16 it deleted nothing within 60 s), so this test must
// not share the database with the other stream tests.
let db: DynamoDbLocal;
let client: DynamoDBClient;
let consumer: StreamConsumer | undefined;
beforeAll(async () => {
  db = await startDynamoDbLocal({});
  client = dynamo(db);
});
afterAll(async () => {
  await consumer?.stop();
  client?.destroy();
  await db?.stop();
});

it("turns a TTL deletion into REMOVE with the dynamodb.amazonaws.com service identity", async () => {
  const { tableName, streamArn } = await freshTable(db);
  const recorder = new Recorder();
  consumer = await startStreamConsumer({
    endpoint: db.endpoint,
    streamArn,
    tableName,
    consumer: consumerDecl({ filters: [{ eventName: ["REMOVE"] }] }),
    invoke: async (event) => void recorder.events.push(event),
  });
  // Already expired: DynamoDB Local's TTL sweep deletes it (measured 1-11 s).
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: { id: { S: "expired" }, expiresAt: { N: String(Math.floor(Date.now() / 1000) - 60) } },
    }),
  );
  await eventually(() => recorder.records.length > 0, 30_000, "DynamoDB Local's TTL sweep to delete the item");
  expect(recorder.records[0]).toMatchObject({
    eventName: "REMOVE",
    userIdentity: { type: "Service", principalId: "dynamodb.amazonaws.com" },
    dynamodb: { Keys: { id: { S: "expired" } }, OldImage: { id: { S: "expired" } } },
  });
}, 45_000);

import {
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { TableDecl } from "@pushgate/core/topology";
import { topology } from "@pushgate/core/topology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTables, localDynamoDbClientConfig, startDynamoDbLocal, type DynamoDbLocal } from "../../src/dynamodb/index";

let db: DynamoDbLocal;
let client: DynamoDBClient;
beforeAll(async () => {
  db = await startDynamoDbLocal({});
  client = new DynamoDBClient(localDynamoDbClientConfig(db.endpoint));
});
afterAll(async () => {
  client?.destroy();
  await db?.stop();
});

const describeTable = async (name: string) => (await client.send(new DescribeTableCommand({ TableName: name }))).Table!;

describe("createTables", () => {
  it("creates every table of the real topology with keys, GSIs, TTL, streams and on-demand billing", async () => {
    const result = await createTables({ endpoint: db.endpoint, topology, stage: "dev" });
    expect(result.tableNames).toEqual({
      connections: "dev-pushgate-connections",
      subscriptions: "dev-pushgate-subscriptions",
      games: "dev-pushgate-games",
      queues: "dev-pushgate-queues",
      places: "dev-pushgate-places",
      jobs: "dev-pushgate-jobs",
      sessions: "dev-pushgate-sessions",
      quotas: "dev-pushgate-quotas",
      watchers: "dev-pushgate-watchers",
    });
    expect(Object.keys(result.streamArns).sort()).toEqual(["games", "jobs", "queues", "subscriptions"]);
    expect(result.created.sort()).toEqual([
      "connections",
      "games",
      "jobs",
      "places",
      "queues",
      "quotas",
      "sessions",
      "subscriptions",
      "watchers",
    ]);

    const subscriptions = await describeTable("dev-pushgate-subscriptions");
    expect(subscriptions.KeySchema).toEqual([
      { AttributeName: "topicShard", KeyType: "HASH" },
      { AttributeName: "connectionId", KeyType: "RANGE" },
    ]);
    expect(subscriptions.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    // Its stream feeds the occupancy counters (watchersTally).
    expect(subscriptions.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" });

    const jobs = await describeTable("dev-pushgate-jobs");
    expect(jobs.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" });
    expect(jobs.LatestStreamArn).toBe(result.streamArns.jobs);
    expect(
      jobs.GlobalSecondaryIndexes?.map((index) => ({
        name: index.IndexName,
        keys: index.KeySchema,
        projection: index.Projection?.ProjectionType,
      })),
    ).toEqual([
      {
        name: "byFan",
        keys: [
          { AttributeName: "fanId", KeyType: "HASH" },
          { AttributeName: "createdAt", KeyType: "RANGE" },
        ],
        projection: "ALL",
      },
    ]);
    for (const name of [
      "dev-pushgate-jobs",
      "dev-pushgate-connections",
      "dev-pushgate-subscriptions",
      "dev-pushgate-sessions",
      "dev-pushgate-quotas",
      "dev-pushgate-watchers",
    ]) {
      const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName: name }))).TimeToLiveDescription;
      expect(ttl).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });
    }
    const games = (await client.send(new DescribeTimeToLiveCommand({ TableName: "dev-pushgate-games" }))).TimeToLiveDescription;
    expect(games?.TimeToLiveStatus).toBe("DISABLED");
  });

  it("is idempotent: a second run keeps tables, data and stream ARNs", async () => {
    const first = await createTables({ endpoint: db.endpoint, topology, stage: "again" });
    await client.send(new PutItemCommand({ TableName: first.tableNames.games!, Item: { gameId: { S: "g1" }, seq: { N: "7" } } }));
    const second = await createTables({ endpoint: db.endpoint, topology, stage: "again" });
    expect(second.created).toEqual([]);
    expect(second.streamArns).toEqual(first.streamArns);
    const item = await client.send(new GetItemCommand({ TableName: first.tableNames.games!, Key: { gameId: { S: "g1" } } }));
    expect(item.Item?.seq).toEqual({ N: "7" });
  });

  it("adds to an existing table what the topology gained since (a GSI, a stream, TTL)", async () => {
    const before: TableDecl = { partitionKey: { name: "id", type: "string" } };
    const after: TableDecl = {
      partitionKey: { name: "id", type: "string" },
      globalIndexes: [{ name: "byOwner", partitionKey: { name: "owner", type: "string" }, sortKey: { name: "at", type: "number" } }],
      ttlAttribute: "expiresAt",
      stream: true,
    };
    await createTables({ endpoint: db.endpoint, topology: { app: "grow", tables: { things: before } }, stage: "s" });
    const grown = await createTables({ endpoint: db.endpoint, topology: { app: "grow", tables: { things: after } }, stage: "s" });
    expect(grown.created).toEqual([]);
    const table = await describeTable("s-grow-things");
    expect(table.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(["byOwner"]);
    expect(table.StreamSpecification?.StreamViewType).toBe("NEW_AND_OLD_IMAGES");
    expect(grown.streamArns.things).toBe(table.LatestStreamArn);
    const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName: "s-grow-things" }))).TimeToLiveDescription;
    expect(ttl?.AttributeName).toBe("expiresAt");
  });

  it("refuses a table whose keys changed, saying how to reset local data", async () => {
    await createTables({
      endpoint: db.endpoint,
      topology: { app: "keys", tables: { t: { partitionKey: { name: "a", type: "string" } } } },
      stage: "s",
    });
    await expect(
      createTables({
        endpoint: db.endpoint,
        topology: { app: "keys", tables: { t: { partitionKey: { name: "b", type: "string" } } } },
        stage: "s",
      }),
    ).rejects.toThrow(/has keys a:HASH but topology.ts declares b:HASH.*rm -rf .pushgate\/data/s);
    await client.send(new DeleteTableCommand({ TableName: "s-keys-t" }));
  });
});

import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type KeySchemaElement,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";
import { physicalName, type KeyDecl, type TableDecl, type TopologyShape } from "@pushgate/core/topology";
import { localDynamoDbClientConfig } from "./client-config";
import { quietLog, type Log } from "../log";

export interface CreateTablesOptions {
  endpoint: string;
  /** Only `app` and `tables` are read, so tests can pass a small topology. */
  topology: Pick<TopologyShape, "app" | "tables">;
  stage: string;
  log?: Log;
}

export interface CreatedTables {
  /** Logical name -> physical name (`{stage}-{app}-{logical}`). */
  tableNames: Record<string, string>;
  /** Logical name -> stream ARN, for tables with `stream: true`. */
  streamArns: Record<string, string>;
  /** Logical names created by this call; the others already existed and were kept. */
  created: string[];
}

const attributeType = (key: KeyDecl) => (key.type === "string" ? "S" : "N");

function keySchema(partitionKey: KeyDecl, sortKey?: KeyDecl): KeySchemaElement[] {
  return [
    { AttributeName: partitionKey.name, KeyType: "HASH" },
    ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: "RANGE" as const }] : []),
  ];
}

function attributeDefinitions(table: TableDecl): AttributeDefinition[] {
  const keys = [table.partitionKey, table.sortKey, ...(table.globalIndexes ?? []).flatMap((index) => [index.partitionKey, index.sortKey])];
  const byName = new Map<string, AttributeDefinition>();
  for (const key of keys) {
    if (!key) continue;
    const existing = byName.get(key.name);
    if (existing && existing.AttributeType !== attributeType(key)) {
      throw new Error(
        `Attribute ${key.name} is declared both string and number in a table's keys; fix topology.ts so one attribute has one type.`,
      );
    }
    byName.set(key.name, { AttributeName: key.name, AttributeType: attributeType(key) });
  }
  return [...byName.values()];
}

const describeKeys = (schema: KeySchemaElement[] | undefined) =>
  (schema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(",");

/**
 * Creates every table of the topology as `sst deploy` would (on-demand
 * billing, GSIs projecting ALL, TTL, NEW_AND_OLD_IMAGES streams). Idempotent:
 * an existing table and its data are kept (data persists across `npm start`
 * under .pushgate/data), and what the topology added since (a GSI, a stream,
 * TTL) is added to it. A changed key schema cannot be migrated in place, so
 * that is an error telling the developer to drop the local table.
 */
export async function createTables(options: CreateTablesOptions): Promise<CreatedTables> {
  const log = options.log ?? quietLog;
  const client = new DynamoDBClient(localDynamoDbClientConfig(options.endpoint));
  const result: CreatedTables = { tableNames: {}, streamArns: {}, created: [] };
  try {
    for (const [logical, table] of Object.entries(options.topology.tables)) {
      const name = physicalName(options.topology.app, options.stage, logical);
      result.tableNames[logical] = name;
      let description = await describe(client, name);
      if (!description) {
        description = await create(client, name, table);
        result.created.push(logical);
        log("info", `Created table ${name}.`);
      } else {
        description = await reconcile(client, name, table, description, log);
      }
      await ensureTimeToLive(client, name, table, log);
      if (table.stream) {
        if (!description.LatestStreamArn)
          throw new Error(`Table ${name} has no stream after creation; delete the local table (rm -rf .pushgate/data) and start again.`);
        result.streamArns[logical] = description.LatestStreamArn;
      }
    }
  } finally {
    client.destroy();
  }
  return result;
}

async function describe(client: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function create(client: DynamoDBClient, name: string, table: TableDecl): Promise<TableDescription> {
  const indexes = table.globalIndexes ?? [];
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: attributeDefinitions(table),
      KeySchema: keySchema(table.partitionKey, table.sortKey),
      GlobalSecondaryIndexes: indexes.length
        ? indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: "ALL" },
          }))
        : undefined,
      StreamSpecification: table.stream ? { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" } : undefined,
    }),
  );
  // DynamoDB Local creates tables synchronously, but describing again gives the
  // stream ARN and catches an emulator that did not (a clear error, not a hang).
  const description = await describe(client, name);
  if (description?.TableStatus !== "ACTIVE")
    throw new Error(`Table ${name} is ${description?.TableStatus ?? "missing"} right after CreateTable; restart DynamoDB Local.`);
  return description;
}

async function reconcile(
  client: DynamoDBClient,
  name: string,
  table: TableDecl,
  description: TableDescription,
  log: Log,
): Promise<TableDescription> {
  const wanted = describeKeys(keySchema(table.partitionKey, table.sortKey));
  const actual = describeKeys(description.KeySchema);
  if (wanted !== actual) {
    throw new Error(
      `Local table ${name} has keys ${actual} but topology.ts declares ${wanted}. Keys cannot change in place: ` +
        `delete the local data (rm -rf .pushgate/data, or the table) and start again.`,
    );
  }
  const existingIndexes = new Set((description.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of table.globalIndexes ?? []) {
    if (existingIndexes.has(index.name)) continue;
    log("info", `Adding index ${index.name} to existing table ${name}.`);
    await client.send(
      new UpdateTableCommand({
        TableName: name,
        AttributeDefinitions: attributeDefinitions(table),
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: index.name,
              KeySchema: keySchema(index.partitionKey, index.sortKey),
              Projection: { ProjectionType: "ALL" },
            },
          },
        ],
      }),
    );
  }
  const stream = description.StreamSpecification;
  if (table.stream && !stream?.StreamEnabled) {
    log("info", `Enabling the stream of existing table ${name}.`);
    await client.send(
      new UpdateTableCommand({ TableName: name, StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" } }),
    );
  } else if (table.stream && stream?.StreamViewType !== "NEW_AND_OLD_IMAGES") {
    throw new Error(
      `Local table ${name} streams ${stream?.StreamViewType}, not NEW_AND_OLD_IMAGES; delete the local data (rm -rf .pushgate/data) and start again.`,
    );
  }
  return (await describe(client, name)) ?? description;
}

async function ensureTimeToLive(client: DynamoDBClient, name: string, table: TableDecl, log: Log): Promise<void> {
  if (!table.ttlAttribute) return;
  const current = (await client.send(new DescribeTimeToLiveCommand({ TableName: name }))).TimeToLiveDescription;
  if (current?.TimeToLiveStatus === "ENABLED" && current.AttributeName === table.ttlAttribute) return;
  if (current?.TimeToLiveStatus === "ENABLED") {
    // DynamoDB allows one TTL attribute and refuses to switch it in one call.
    log("info", `Switching TTL of ${name} from ${current.AttributeName} to ${table.ttlAttribute}.`);
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: current.AttributeName!, Enabled: false } }),
    );
  }
  await client.send(
    new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true } }),
  );
}

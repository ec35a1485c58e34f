import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { StreamConsumerDecl } from "@pushgate/core/topology";
import type { DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { createTables, localDynamoDbClientConfig, type DynamoDbLocal } from "../../src/dynamodb/index";

let tableCounter = 0;

/** A fresh streamed table (with TTL on expiresAt) per test, in the file's shared DynamoDB Local. */
export async function freshTable(db: DynamoDbLocal): Promise<{ tableName: string; streamArn: string }> {
  const logical = `t${++tableCounter}`;
  const result = await createTables({
    endpoint: db.endpoint,
    stage: `s${process.pid}`,
    topology: {
      app: "streams",
      tables: { [logical]: { partitionKey: { name: "id", type: "string" }, ttlAttribute: "expiresAt", stream: true } },
    },
  });
  return { tableName: result.tableNames[logical]!, streamArn: result.streamArns[logical]! };
}

export const dynamo = (db: DynamoDbLocal) => new DynamoDBClient(localDynamoDbClientConfig(db.endpoint));

export function consumerDecl(overrides: Partial<StreamConsumerDecl> = {}): StreamConsumerDecl {
  return {
    table: "t",
    function: { handler: "packages/functions/src/stream/test.handler", timeoutSeconds: 10, memoryMB: 128, grants: {} },
    batchSize: 100,
    maxBatchingWindowSeconds: 0,
    startingPosition: "TRIM_HORIZON",
    bisectBatchOnError: false,
    reportBatchItemFailures: false,
    retryAttempts: 2,
    maxRecordAgeSeconds: -1,
    parallelizationFactor: 1,
    ...overrides,
  };
}

/** Records every event a test handler receives. */
export class Recorder {
  readonly events: DynamoDBStreamEvent[] = [];
  get records(): DynamoDBRecord[] {
    return this.events.flatMap((event) => event.Records);
  }
  ids(records: DynamoDBRecord[] = this.records): string[] {
    return records.map((record) => (record.dynamodb?.NewImage ?? record.dynamodb?.Keys)?.id?.S ?? "?");
  }
  get batchSizes(): number[] {
    return this.events.map((event) => event.Records.length);
  }
}

/** Polls a condition (for real-time waits that drained() cannot express, like a TTL sweep). */
export async function eventually(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { localDynamoDbClientConfig, startDynamoDbLocal, type DynamoDbLocal } from "../../src/dynamodb/index";
import { accepts, listeningAddresses, nonLoopbackAddress } from "../listening";

// The java process itself must listen on loopback only: DynamoDB Local checks
// no credentials, so on every interface anyone on the network could read and write it.
let db: DynamoDbLocal;
beforeAll(async () => {
  db = await startDynamoDbLocal({});
});
afterAll(async () => {
  await db?.stop();
});

it("binds the java process to 127.0.0.1 only", () => {
  expect(listeningAddresses(db.port)).toEqual(["127.0.0.1"]);
});

it.runIf(nonLoopbackAddress())("does not answer on this machine's other address", async () => {
  expect(await accepts(nonLoopbackAddress()!, db.port)).toBe(false);
  expect(await accepts("127.0.0.1", db.port)).toBe(true);
});

it("still answers the SDK on 127.0.0.1", async () => {
  const client = new DynamoDBClient(localDynamoDbClientConfig(db.endpoint));
  try {
    expect(db.endpoint).toBe(`http://127.0.0.1:${db.port}`);
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
  } finally {
    client.destroy();
  }
});

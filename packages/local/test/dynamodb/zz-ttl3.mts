import { startDynamoDbLocal, createTables, localDynamoDbClientConfig } from "../../src/dynamodb/index";
import { DynamoDBClient, PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
const variant = process.argv[2];
const db = await startDynamoDbLocal({});
const ddb = new DynamoDBClient(localDynamoDbClientConfig(db.endpoint));
const n = Number(process.argv[3] ?? 15);
const tables: Record<string, any> = {};
for (let i = 0; i < n; i++) tables["f" + String(i).padStart(2, "0")] = { partitionKey: { name: "id", type: "string" }, ttlAttribute: "expiresAt", stream: true };
tables["zz"] = { partitionKey: { name: "id", type: "string" }, ttlAttribute: "expiresAt", stream: true };
const r = await createTables({ endpoint: db.endpoint, stage: "t", topology: { app: "p", tables } });
if (variant === "filled") for (let i = 0; i < n; i++) await ddb.send(new PutItemCommand({ TableName: r.tableNames["f" + String(i).padStart(2, "0")], Item: { id: { S: "x" } } }));
const t0 = Date.now();
await ddb.send(new PutItemCommand({ TableName: r.tableNames.zz, Item: { id: { S: "e" }, expiresAt: { N: String(Math.floor(Date.now()/1000) - 60) } } }));
for (let i = 0; i < 60; i++) {
  await new Promise(r => setTimeout(r, 1000));
  const c = (await ddb.send(new ScanCommand({ TableName: r.tableNames.zz }))).Count;
  if (c === 0) { console.log(variant, n, "deleted after", Date.now() - t0); break; }
  if (i === 59) console.log(variant, n, "NOT deleted in 60 s");
}
await db.stop();

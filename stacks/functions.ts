import type { IGrantable } from "aws-cdk-lib/aws-iam";
import { Function, type Bucket, type Config, type Stack, type Table } from "sst/constructs";
import { envVar, type FunctionDecl, type TableName } from "@pushgate/core/topology";
import { lookup } from "./declared";

/** What a function may be granted, by topology name. */
export interface Grantables {
  tables: Record<string, Table>;
  buckets: Record<string, Bucket>;
  secrets: Record<string, Config.Secret>;
  /** Grants execute-api:ManageConnections on this stage's @connections only. */
  grantManageConnections(grantee: IGrantable): void;
  /** Configuration every function gets: stage, Management API endpoint, bucket names. */
  environment: Record<string, string>;
}

/**
 * One Lambda function from its topology declaration, with exactly the grants
 * it declares.
 *
 * Tables and buckets are granted with CDK's grant methods, not SST `bind`:
 * binding an SST Table gives `dynamodb:*` and binding a Bucket `s3:*`, while
 * `grantReadData` / `grantReadWriteData` / `grantRead` / `grantReadWrite` give
 * the read or read-write action lists the topology asks for. The physical names
 * travel in the `envVar` variables core reads. Secrets are bound (`bind`),
 * which grants `ssm:GetParameters` on that one secret's parameters and nothing
 * else.
 */
export function functionFromDecl(stack: Stack, id: string, decl: FunctionDecl, grantables: Grantables): Function {
  const tables = Object.entries(decl.grants.tables ?? {});
  const buckets = Object.entries(decl.grants.buckets ?? {});

  const fn = new Function(stack, id, {
    handler: decl.handler,
    timeout: decl.timeoutSeconds,
    memorySize: decl.memoryMB,
    environment: {
      ...grantables.environment,
      ...Object.fromEntries(tables.map(([name]) => [envVar.table(name as TableName), lookup(grantables.tables, name, "table").tableName])),
    },
    bind: (decl.grants.secrets ?? []).map((name) => lookup(grantables.secrets, name, "secret")),
  });

  for (const [name, access] of tables) {
    const table = lookup(grantables.tables, name, "table").cdk.table;
    if (access === "read") table.grantReadData(fn);
    else table.grantReadWriteData(fn);
  }
  for (const [name, access] of buckets) {
    const bucket = lookup(grantables.buckets, name, "bucket").cdk.bucket;
    if (access === "read") bucket.grantRead(fn);
    else bucket.grantReadWrite(fn);
  }
  if (decl.grants.manageConnections) grantables.grantManageConnections(fn);

  return fn;
}

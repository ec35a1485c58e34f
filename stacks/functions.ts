import { PolicyStatement } from "aws-cdk-lib/aws-iam";
// biome-ignore lint/suspicious/noShadowRestrictedNames: SST names its Lambda construct Function; this file never needs the global.
import { Function, type Config, type Stack, type Table } from "sst/constructs";
import { policyFor, type PolicyOptions, type ResourceArns } from "@pushgate/core/iam-policy";
import { envVar, type FunctionDecl, type TableName } from "@pushgate/core/topology";
import { lookup } from "./declared";

/** What a function may be granted, by topology name. */
export interface Grantables {
  tables: Record<string, Table>;
  secrets: Record<string, Config.Secret>;
  /** The stage's resources as ARNs (CloudFormation tokens), for iam-policy.ts. */
  arns: ResourceArns;
  /** Configuration every function gets: stage, Management API endpoint, bucket names. */
  environment: Record<string, string>;
}

/**
 * One Lambda function from its topology declaration, with exactly the IAM
 * statements `policyFor` derives from its grants: the same statements the
 * local cloud enforces, so what passes there is what is deployed here.
 *
 * No CDK grant methods and no binding of tables or buckets: binding a Table
 * gives `dynamodb:*`, a Bucket `s3:*`, and each grant method its own action
 * list; the physical table names travel in the `envVar` variables core reads.
 * Secrets are still bound, so `sst secrets set` knows which functions to reload;
 * the binding's own grant is the same `ssm:GetParameters` statement as ours.
 */
export function functionFromDecl(
  stack: Stack,
  id: string,
  decl: FunctionDecl,
  grantables: Grantables,
  policy: PolicyOptions = {},
): Function {
  const tables = Object.keys(decl.grants.tables ?? {});
  const fn = new Function(stack, id, {
    handler: decl.handler,
    timeout: decl.timeoutSeconds,
    memorySize: decl.memoryMB,
    environment: {
      ...grantables.environment,
      ...Object.fromEntries(tables.map((name) => [envVar.table(name as TableName), lookup(grantables.tables, name, "table").tableName])),
    },
    bind: (decl.grants.secrets ?? []).map((name) => lookup(grantables.secrets, name, "secret")),
  });
  for (const statement of policyFor(decl, grantables.arns, policy)) {
    fn.addToRolePolicy(new PolicyStatement({ actions: [...statement.actions], resources: [...statement.resources] }));
  }
  return fn;
}

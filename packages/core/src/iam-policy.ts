/**
 * The IAM policy of one function, derived from its topology `grants`: the one
 * place where "may touch table X" becomes IAM actions and resource ARNs.
 *
 * Two readers use it and must agree: `stacks/functions.ts` attaches exactly
 * these statements to each function's role on AWS, and the local cloud
 * (`packages/local/src/iam`) evaluates every call a function makes against
 * them. So a call that lacks a grant fails locally as it would on AWS, and the
 * policy deployed cannot drift from the policy tested.
 *
 * Plain data: no AWS SDK, no CDK. The ARNs come from `ResourceArns`, which the
 * stacks fill with CloudFormation tokens and the local cloud with strings.
 */
import type { FunctionDecl, Grants } from "./topology";

export interface PolicyStatement {
  actions: readonly string[];
  resources: readonly string[];
}

/** How one stage names the resources a grant can refer to, by logical (topology) name. */
export interface ResourceArns {
  table(name: string): string;
  bucket(name: string): string;
  /** Both SSM parameters SST v2 reads a `Config.Secret` from: the stage's path and the app-wide fallback. */
  secretParameters(name: string): readonly string[];
  /** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/*\/@connections/*`: this stage's @connections only. */
  connections: string;
  queue(name: string): string;
}

/**
 * Items only: no table management, no streams (those come with `consumes`).
 * The read list is CDK's `grantReadData` without the stream actions; write adds
 * what `grantWriteData` adds. TransactWriteItems has no action of its own: IAM
 * checks the Put/Update/Delete/ConditionCheck inside it.
 */
export const tableActions = {
  read: [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
  ],
  write: ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"],
} as const;

/** What Lambda's event source mapping does with the function's role to read a table's stream. */
export const streamReadActions = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"] as const;

/** What Lambda's SQS event source mapping does with the consumer's role (AWSLambdaSQSQueueExecutionRole's actions). */
export const queueConsumeActions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"] as const;
export const queueSendActions = ["sqs:SendMessage"] as const;

export interface PolicyOptions {
  /** The table whose stream this function consumes (an event source mapping reads it with the function's role). */
  consumes?: string;
  /** The queue this function consumes (an SQS event source mapping receives and deletes with the function's role). */
  consumesQueue?: string;
}

/** The statements one function's role holds; nothing else is allowed. */
export function policyFor(fn: FunctionDecl, arns: ResourceArns, options: PolicyOptions = {}): PolicyStatement[] {
  return [
    ...grantStatements(fn.grants, arns),
    ...(options.consumes ? streamStatements(arns.table(options.consumes)) : []),
    ...(options.consumesQueue ? [{ actions: [...queueConsumeActions], resources: [arns.queue(options.consumesQueue)] }] : []),
  ];
}

function grantStatements(grants: Grants, arns: ResourceArns): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  for (const [table, access] of Object.entries(grants.tables ?? {})) {
    const tableArn = arns.table(table);
    statements.push({
      actions: access === "read" ? [...tableActions.read] : [...tableActions.read, ...tableActions.write],
      resources: [tableArn, `${tableArn}/index/*`],
    });
  }
  for (const [bucket, access] of Object.entries(grants.buckets ?? {})) {
    const bucketArn = arns.bucket(bucket);
    const objects = (prefixes: readonly string[]) => prefixes.map((prefix) => `${bucketArn}/${prefix}*`);
    if (access.read?.length) {
      statements.push({ actions: ["s3:GetObject"], resources: objects(access.read) });
      // Without ListBucket, S3 answers 403 instead of 404 for a missing key, and a
      // fan polling a presigned URL before the object exists would read "refused"
      // where it should read "not yet". It reveals key names, never contents.
      statements.push({ actions: ["s3:ListBucket"], resources: [bucketArn] });
    }
    if (access.write?.length) statements.push({ actions: ["s3:PutObject"], resources: objects(access.write) });
  }
  const secrets = grants.secrets ?? [];
  if (secrets.length > 0) {
    // SST's Config.Secret binding grants exactly this action; GetParameter (singular) is a different one.
    statements.push({ actions: ["ssm:GetParameters"], resources: secrets.flatMap((name) => arns.secretParameters(name)) });
  }
  // SendMessageBatch has no action of its own: IAM checks sqs:SendMessage for it.
  const queues = Object.keys(grants.queues ?? {});
  if (queues.length > 0) statements.push({ actions: [...queueSendActions], resources: queues.map((name) => arns.queue(name)) });
  if (grants.manageConnections) statements.push({ actions: ["execute-api:ManageConnections"], resources: [arns.connections] });
  return statements;
}

function streamStatements(tableArn: string): PolicyStatement[] {
  return [
    { actions: [...streamReadActions], resources: [`${tableArn}/stream/*`] },
    { actions: ["dynamodb:ListStreams"], resources: ["*"] },
  ];
}

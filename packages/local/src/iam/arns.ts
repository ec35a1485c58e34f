/**
 * The local cloud's resources as ARNs, in the one region and account it
 * pretends to be: what iam-policy.ts's statements name and what the emulators
 * authorize against. DynamoDB Local names its own ARNs in region `ddblocal`,
 * account 000000000000; `localStreamArn` maps those onto ours.
 */
import { ssmSecretPaths } from "@pushgate/core/config";
import type { ResourceArns } from "@pushgate/core/iam-policy";
import type { SecretName } from "@pushgate/core/topology";

export interface LocalNames {
  region: string;
  accountId: string;
  app: string;
  stage: string;
  apiId: string;
  /** Logical to physical names. */
  tables: Record<string, string>;
  buckets: Record<string, string>;
  /** Logical to physical names; optional for a topology without queues. */
  queues?: Record<string, string>;
}

export const tableArn = (region: string, accountId: string, tableName: string) =>
  `arn:aws:dynamodb:${region}:${accountId}:table/${tableName}`;
export const parameterArn = (region: string, accountId: string, name: string) =>
  `arn:aws:ssm:${region}:${accountId}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
export const queueArn = (region: string, accountId: string, queueName: string) => `arn:aws:sqs:${region}:${accountId}:${queueName}`;
export const objectArn = (bucket: string, key: string) => `arn:aws:s3:::${bucket}${key === "" ? "" : `/${key}`}`;
export const connectionArn = (region: string, accountId: string, apiId: string, stage: string, method: string, connectionId: string) =>
  `arn:aws:execute-api:${region}:${accountId}:${apiId}/${stage}/${method}/@connections/${connectionId}`;

/** `arn:aws:dynamodb:ddblocal:000000000000:table/T/stream/L` (DynamoDB Local's) as `arn:aws:dynamodb:{region}:{account}:table/T/stream/L`. */
export function localStreamArn(region: string, accountId: string, streamArn: string): string {
  const at = streamArn.indexOf(":table/");
  return at < 0 ? streamArn : `arn:aws:dynamodb:${region}:${accountId}${streamArn.slice(at)}`;
}

export function localResourceArns(names: LocalNames): ResourceArns {
  const physical = (record: Record<string, string>, name: string, what: string) => {
    const value = record[name];
    if (value === undefined) throw new Error(`topology.ts grants ${what} "${name}", which it does not declare`);
    return value;
  };
  return {
    table: (name) => tableArn(names.region, names.accountId, physical(names.tables, name, "table")),
    bucket: (name) => objectArn(physical(names.buckets, name, "bucket"), ""),
    secretParameters: (name) =>
      ssmSecretPaths({ app: names.app, stage: names.stage }, name as SecretName).map((path) =>
        parameterArn(names.region, names.accountId, path),
      ),
    connections: `arn:aws:execute-api:${names.region}:${names.accountId}:${names.apiId}/${names.stage}/*/@connections/*`,
    queue: (name) => queueArn(names.region, names.accountId, physical(names.queues ?? {}, name, "queue")),
  };
}

/**
 * Which topology grant would allow a refused call, in the words topology.ts
 * uses, for the local cloud's refusal log line.
 */
export function grantHintFor(names: LocalNames) {
  const logical = (record: Record<string, string>, physicalName: string) =>
    Object.entries(record).find(([, value]) => value === physicalName)?.[0];
  return (action: string, resource: string): string | undefined => {
    const table = /:table\/([^/]+)/.exec(resource)?.[1];
    if (action.startsWith("dynamodb:") && table) {
      const name = logical(names.tables, table) ?? table;
      if (resource.includes("/stream/")) return `a stream consumer declaration on table ${name}`;
      return `tables: { ${name}: "${/Get|Query|Scan|Describe|ConditionCheck/.test(action) ? "read" : "readWrite"}" }`;
    }
    const object = /^arn:aws:s3:::([^/]+)\/?(.*)$/.exec(resource);
    if (action.startsWith("s3:") && object) {
      const name = logical(names.buckets, object[1]!) ?? object[1]!;
      const prefix = object[2]!.includes("/") ? `${object[2]!.split("/")[0]}/` : object[2]!;
      if (action === "s3:GetObject" || action === "s3:ListBucket") return `buckets: { ${name}: { read: ["${prefix}"] } }`;
      if (action === "s3:PutObject") return `buckets: { ${name}: { write: ["${prefix}"] } }`;
      return `${action}, which no grant gives: nothing in pushgate deletes objects`;
    }
    if (action === "ssm:GetParameter") return "nothing: SST grants ssm:GetParameters (plural); read secrets with GetParameters";
    if (action.startsWith("ssm:")) return `secrets: ["${/\/Secret\/([^/]+)\//.exec(resource)?.[1] ?? "NAME"}"]`;
    if (action.startsWith("execute-api:")) return "manageConnections: true";
    if (action === "sqs:SendMessage")
      return `queues: { ${logical(names.queues ?? {}, resource.split(":").pop() ?? "") ?? "NAME"}: "send" }`;
    if (action.startsWith("sqs:")) return "a queue consumer declaration (topology queues)";
    return undefined;
  };
}

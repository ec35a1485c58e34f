import { Duration } from "aws-cdk-lib/core";
import { BlockPublicAccess, type IBucket } from "aws-cdk-lib/aws-s3";
import { Bucket, Table, use, type StackContext } from "sst/constructs";
import { browserReadCors, physicalName, type BucketDecl, type KeyDecl, type KeyType, type TableDecl } from "@pushgate/core/topology";
import { declared } from "./declared";
import { constructIdPart } from "./names";
import { Web } from "./Web";

/** Every key a table declares (primary and index keys), as SST `fields`. */
function fieldsOf(decl: TableDecl): Record<string, KeyType> {
  const keys: (KeyDecl | undefined)[] = [
    decl.partitionKey,
    decl.sortKey,
    ...(decl.globalIndexes ?? []).flatMap((index) => [index.partitionKey, index.sortKey]),
  ];
  const fields: Record<string, KeyType> = {};
  for (const key of keys) if (key) fields[key.name] = key.type;
  return fields;
}

/** The tables, built from topology.tables; names are `physicalName`, as in the local cloud. */
function buildTable(ctx: StackContext, name: string, decl: TableDecl): Table {
  return new Table(ctx.stack, name, {
    fields: fieldsOf(decl),
    primaryIndex: { partitionKey: decl.partitionKey.name, sortKey: decl.sortKey?.name },
    globalIndexes: Object.fromEntries(
      (decl.globalIndexes ?? []).map((index) => [index.name, { partitionKey: index.partitionKey.name, sortKey: index.sortKey?.name }]),
    ),
    timeToLiveAttribute: decl.ttlAttribute,
    // `true` is NEW_AND_OLD_IMAGES in SST, what the fan-out consumers read.
    stream: decl.stream === true,
    cdk: { table: { tableName: physicalName(declared.app, ctx.app.stage, name) } },
  });
}

/** A private bucket: browsers reach objects only through pre-signed URLs. */
function buildBucket(ctx: StackContext, name: string, decl: BucketDecl, webOrigin: string, accessLogs: IBucket | undefined): Bucket {
  return new Bucket(ctx.stack, name, {
    // The client fetches snapshots and results from the page's origin; a
    // pre-signed URL is the credential, CORS only lets the page read the body.
    cors: decl.cors
      ? [
          {
            allowedOrigins: [webOrigin],
            allowedMethods: [...browserReadCors.allowedMethods],
            allowedHeaders: [...browserReadCors.allowedHeaders],
            exposedHeaders: [...browserReadCors.exposedHeaders],
            maxAge: `${browserReadCors.maxAgeSeconds} seconds`,
          },
        ]
      : false,
    cdk: {
      bucket: {
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        ...(accessLogs && { serverAccessLogsBucket: accessLogs, serverAccessLogsPrefix: `${name}-bucket/` }),
        lifecycleRules: decl.expire.map(({ prefix, days }) => ({
          id: `expire-${prefix.replace(/\/$/, "")}`,
          prefix,
          expiration: Duration.days(days),
        })),
      },
    },
  });
}

/** Tables and the data bucket: the state pushgate keeps. */
export function Storage(ctx: StackContext) {
  const { origin, accessLogs } = use(Web);

  const tables = Object.fromEntries(Object.entries(declared.tables).map(([name, decl]) => [name, buildTable(ctx, name, decl)]));
  const buckets = Object.fromEntries(
    Object.entries(declared.buckets).map(([name, decl]) => [name, buildBucket(ctx, name, decl, origin, accessLogs)]),
  );

  ctx.stack.addOutputs(
    Object.fromEntries(Object.entries(buckets).map(([name, bucket]) => [`${constructIdPart(name)}BucketName`, bucket.bucketName])),
  );

  return { tables, buckets };
}

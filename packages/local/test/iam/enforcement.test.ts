/**
 * IAM through the local cloud, with pushgate's own topology: each function's
 * credentials can do what its grants say and nothing else, refused with the
 * error AWS returns (and one log line naming the function, action, resource
 * and the missing grant); credentials the cloud never issued are refused too.
 */
import { DynamoDBClient, PutItemCommand, QueryCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { DescribeStreamCommand, DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetParameterCommand, GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import { topology } from "@pushgate/core/topology";
import { readSsmSecret } from "@pushgate/core/adapters/ssm-secrets";
import { ssmSecretPaths } from "@pushgate/core/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalCloud, type LocalCloud } from "../../src/cloud";
import type { FunctionDecl } from "@pushgate/core/topology";

let cloud: LocalCloud;
const logged: string[] = [];
beforeAll(async () => {
  cloud = await startLocalCloud({ log: (_level, message) => void logged.push(message) });
});
afterAll(async () => cloud?.stop());

/** An SDK client configured exactly as the function's own environment configures it. */
function as<T>(
  fn: FunctionDecl,
  make: (config: {
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
    env: Record<string, string>;
  }) => T,
): T {
  const env = cloud.environmentFor(fn);
  return make({
    region: env.AWS_REGION!,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY!, sessionToken: env.AWS_SESSION_TOKEN! },
    env,
  });
}
const dynamo = (fn: FunctionDecl) =>
  as(fn, ({ region, credentials, env }) => new DynamoDBClient({ region, credentials, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB! }));
const routes = topology.websocket.routes;
const http = topology.http.routes;

describe("IAM per function", () => {
  it("lets a function make the calls its grants allow", async () => {
    const subscribe = dynamo(routes.subscribe.function);
    await expect(
      subscribe.send(
        new QueryCommand({
          TableName: cloud.endpoints.tables.games!,
          KeyConditionExpression: "gameId = :g",
          ExpressionAttributeValues: { ":g": { S: "g1" } },
        }),
      ),
    ).resolves.toBeDefined();
    const fanout = as(
      topology.consumers.gamesFanout.function,
      ({ region, credentials, env }) => new S3Client({ region, credentials, endpoint: env.AWS_ENDPOINT_URL_S3!, forcePathStyle: true }),
    );
    await expect(
      fanout.send(new PutObjectCommand({ Bucket: cloud.endpoints.buckets.data!, Key: "snapshots/game/iam-1.json", Body: "{}" })),
    ).resolves.toBeDefined();
    const streams = as(
      topology.consumers.gamesFanout.function,
      ({ region, credentials, env }) =>
        new DynamoDBStreamsClient({ region, credentials, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS! }),
    );
    const arn =
      (await dynamo(topology.consumers.gamesFanout.function).send(
        new ScanCommand({ TableName: cloud.endpoints.tables.games!, Limit: 1 }),
      )) && undefined;
    expect(arn).toBeUndefined();
    await expect(streams.send(new DescribeStreamCommand({ StreamArn: await streamArnOf("games") }))).resolves.toBeDefined();
  });

  it("refuses an ungranted DynamoDB call with AccessDeniedException naming the action and resource, and logs the missing grant", async () => {
    const ping = dynamo(routes.ping.function);
    const games = cloud.endpoints.tables.games!;
    const refused = ping.send(
      new QueryCommand({ TableName: games, KeyConditionExpression: "gameId = :g", ExpressionAttributeValues: { ":g": { S: "g1" } } }),
    );
    await expect(refused).rejects.toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } });
    await expect(refused).rejects.toThrow(
      `is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:123456789012:table/${games}`,
    );
    expect(logged.some((line) => line.includes("IAM refused ws/ping: dynamodb:Query") && line.includes('tables: { games: "read" }'))).toBe(
      true,
    );

    // subscribe reads games but cannot write them.
    await expect(
      dynamo(routes.subscribe.function).send(
        new PutItemCommand({ TableName: games, Item: { gameId: { S: "forged" }, seq: { N: "999" } } }),
      ),
    ).rejects.toMatchObject({ name: "AccessDeniedException" });
    // Nor may a route read a stream: only its consumer's role does.
    const streams = as(
      routes.ping.function,
      ({ region, credentials, env }) => new DynamoDBStreamsClient({ region, credentials, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB! }),
    );
    await expect(streams.send(new DescribeStreamCommand({ StreamArn: await streamArnOf("games") }))).rejects.toMatchObject({
      name: "AccessDeniedException",
    });
  });

  it("refuses an ungranted S3 call with 403 AccessDenied, by key prefix and by action", async () => {
    const s3 = (fn: FunctionDecl) =>
      as(
        fn,
        ({ region, credentials, env }) => new S3Client({ region, credentials, endpoint: env.AWS_ENDPOINT_URL_S3!, forcePathStyle: true }),
      );
    const bucket = cloud.endpoints.buckets.data!;
    // subscribe presigns snapshot GETs; it may not write them.
    await expect(
      s3(routes.subscribe.function).send(new PutObjectCommand({ Bucket: bucket, Key: "snapshots/game/g1.json", Body: '{"seq":1e9}' })),
    ).rejects.toMatchObject({
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    // The job worker writes results, not snapshots.
    await expect(
      s3(topology.consumers.jobWorker.function).send(new PutObjectCommand({ Bucket: bucket, Key: "snapshots/game/g1.json", Body: "{}" })),
    ).rejects.toMatchObject({ name: "AccessDenied" });
    // GET /snapshots reads snapshots but not results.
    await expect(
      s3(http["GET /snapshots"].function).send(new GetObjectCommand({ Bucket: bucket, Key: "results/j1.json" })),
    ).rejects.toMatchObject({ name: "AccessDenied" });
    expect(logged.some((line) => line.includes("IAM refused ws/subscribe: s3:PutObject") && line.includes('write: ["snapshots/"]'))).toBe(
      true,
    );
  });

  it("serves secrets from SSM at SST's paths with GetParameters; the GetParameter reader is refused", async () => {
    const ssm = (fn: FunctionDecl) =>
      as(fn, ({ region, credentials, env }) => new SSMClient({ region, credentials, endpoint: env.AWS_ENDPOINT_URL_SSM! }));
    const paths = ssmSecretPaths({ app: topology.app, stage: "local" }, "JWT_SECRET");
    expect(await readSsmSecret(ssm(routes.$connect.function), paths)).toBe(cloud.secrets.JWT_SECRET);
    // The reader that shipped before: SST grants ssm:GetParameters only, so this fails on AWS and here.
    await expect(
      ssm(routes.$connect.function).send(new GetParameterCommand({ Name: paths[0], WithDecryption: true })),
    ).rejects.toMatchObject({ name: "AccessDeniedException" });
    // A function without the secret in its grants may not read it.
    await expect(ssm(routes.ping.function).send(new GetParametersCommand({ Names: paths }))).rejects.toMatchObject({
      name: "AccessDeniedException",
    });
    await expect(
      readSsmSecret(ssm(http["POST /session"].function), ssmSecretPaths({ app: topology.app, stage: "local" }, "OPERATOR_KEY")),
    ).rejects.toMatchObject({ name: "AccessDeniedException" });
    // Secrets never travel in a function's environment.
    expect(Object.values(cloud.environmentFor(routes.$connect.function))).not.toContain(cloud.secrets.JWT_SECRET);
  });

  it("refuses credentials it never issued, and a function's key without its session token", async () => {
    const stranger = new DynamoDBClient({
      region: "us-east-1",
      endpoint: cloud.endpoints.dynamodbEndpoint,
      credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "x" },
    });
    await expect(stranger.send(new ScanCommand({ TableName: cloud.endpoints.tables.games! }))).rejects.toMatchObject({
      name: "UnrecognizedClientException",
    });
    const env = cloud.environmentFor(routes.subscribe.function);
    const noToken = new DynamoDBClient({
      region: "us-east-1",
      endpoint: cloud.endpoints.dynamodbEndpoint,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    });
    await expect(noToken.send(new ScanCommand({ TableName: cloud.endpoints.tables.games! }))).rejects.toMatchObject({
      name: "UnrecognizedClientException",
    });
    const wrongSecret = new DynamoDBClient({
      region: "us-east-1",
      endpoint: cloud.endpoints.dynamodbEndpoint,
      credentials: { ...cloud.endpoints.adminCredentials, secretAccessKey: "wrong" },
    });
    await expect(wrongSecret.send(new ScanCommand({ TableName: cloud.endpoints.tables.games! }))).rejects.toMatchObject({
      name: "InvalidSignatureException",
    });
    const unsigned = await fetch(cloud.endpoints.dynamodbEndpoint, {
      method: "POST",
      headers: { "x-amz-target": "DynamoDB_20120810.ListTables", "content-type": "application/x-amz-json-1.0" },
      body: "{}",
    });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({ __type: expect.stringContaining("MissingAuthenticationTokenException") });
  });

  it("answers a signed body that is JSON but not an object (null, an array) with 400 SerializationException, as AWS does", async () => {
    for (const body of ["null", "[]", '{"TransactItems":[null]}']) {
      const client = new DynamoDBClient({
        region: "us-east-1",
        endpoint: cloud.endpoints.dynamodbEndpoint,
        credentials: cloud.endpoints.adminCredentials,
      });
      // Replaced before signing (the build step precedes finalizeRequest), so the signature is valid and only the body is wrong.
      client.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { body?: unknown; headers: Record<string, string> };
          request.body = body;
          request.headers["content-length"] = String(Buffer.byteLength(body));
          return next(args);
        },
        { step: "build" },
      );
      await expect(client.send(new ScanCommand({ TableName: cloud.endpoints.tables.games! }))).rejects.toMatchObject({
        name: "SerializationException",
        $metadata: { httpStatusCode: 400 },
      });
    }
  });

  it("gives each function only its own environment: its credentials, the standard endpoint variables, its tables", () => {
    const ping = cloud.environmentFor(routes.ping.function);
    const subscribe = cloud.environmentFor(routes.subscribe.function);
    expect(ping.AWS_ACCESS_KEY_ID).not.toBe(subscribe.AWS_ACCESS_KEY_ID);
    for (const name of ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SSM", "AWS_REGION", "AWS_SESSION_TOKEN"])
      expect(ping).toHaveProperty(name);
    expect(ping).not.toHaveProperty("PUSHGATE_TABLE_GAMES");
    expect(subscribe.PUSHGATE_TABLE_GAMES).toBe(cloud.endpoints.tables.games);
  });
});

async function streamArnOf(table: "games"): Promise<string> {
  const { DescribeTableCommand } = await import("@aws-sdk/client-dynamodb");
  const admin = new DynamoDBClient({
    region: "us-east-1",
    endpoint: cloud.endpoints.dynamodbEndpoint,
    credentials: cloud.endpoints.adminCredentials,
  });
  const { Table } = await admin.send(new DescribeTableCommand({ TableName: cloud.endpoints.tables[table]! }));
  return Table!.LatestStreamArn!;
}

describe("IAM on @connections", () => {
  it("lets a fan-out post, refuses a route without manageConnections (403 AccessDeniedException), and refuses unknown credentials", async () => {
    const { ApiGatewayManagementApiClient, PostToConnectionCommand } = await import("@aws-sdk/client-apigatewaymanagementapi");
    const post = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
      new ApiGatewayManagementApiClient({
        region: "us-east-1",
        endpoint: cloud.endpoints.managementEndpoint,
        credentials,
        maxAttempts: 1,
      }).send(new PostToConnectionCommand({ ConnectionId: "no-such-connection", Data: Buffer.from("{}") }));
    const roleOf = (fn: FunctionDecl) => {
      const env = cloud.environmentFor(fn);
      return { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY!, sessionToken: env.AWS_SESSION_TOKEN! };
    };
    // Allowed: the connection is simply gone.
    await expect(post(roleOf(topology.consumers.gamesFanout.function))).rejects.toMatchObject({ name: "GoneException" });
    const refused = post(roleOf(routes.$connect.function));
    await expect(refused).rejects.toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } });
    await expect(refused).rejects.toThrow(
      "execute-api:ManageConnections on resource: arn:aws:execute-api:us-east-1:123456789012:local/local/POST/@connections/no-such-connection",
    );
    await expect(post({ accessKeyId: "AKIAEXAMPLE", secretAccessKey: "x" })).rejects.toMatchObject({ name: "UnrecognizedClientException" });
    await expect(post({ ...cloud.endpoints.adminCredentials, secretAccessKey: "wrong" })).rejects.toMatchObject({
      name: "InvalidSignatureException",
    });
  });
});

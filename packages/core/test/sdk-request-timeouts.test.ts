/**
 * Every AWS SDK client gives up on a call whose answer never comes, within
 * its request timeout (and its retries), instead of waiting out the
 * function's timeout. Against a real local HTTP server that accepts each
 * request and never answers.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dynamoDocumentClient,
  loadManagementApiSdk,
  loadS3Sdk,
  loadSqsSdk,
  loadSsmSdk,
  managementApiClient,
  s3Client,
  sqsClient,
  ssmClient,
} from "../src/adapters/aws-clients";

const region = "us-east-1";
const credentials = { accessKeyId: "AKIDTIMEOUTTEST", secretAccessKey: "not-a-real-secret" };
const sdkRequestTimeoutMs = 200;
let server: Server;
let endpoint: string;
const hung: IncomingMessage[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  // Reads each request and never answers it: a hung S3 or DynamoDB, as seen once under load.
  server = createServer((request) => {
    hung.push(request);
    request.resume();
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The SSM and SQS factories take their endpoint and credentials from the environment, as in a function.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SSM: endpoint,
    AWS_ENDPOINT_URL_SQS: endpoint,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  });
});
afterAll(async () => {
  for (const key of ["AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_SQS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  server.closeAllConnections();
  await new Promise((closed) => server.close(closed));
});

/** The call's error; without a request timeout the call never settles and the test times out instead. */
const failure = (call: Promise<unknown>) =>
  call.then(
    () => new Error("the call answered, but the server never does"),
    (error: Error) => error,
  );

// Well under the test's own timeout: 3 attempts of 200 ms and the SDK's backoff between them.
const WITHIN = 8_000;

describe("AWS SDK clients: a call nobody answers fails within the request timeout", () => {
  it(
    "DynamoDB",
    async () => {
      const db = dynamoDocumentClient({ region, dynamodbEndpoint: endpoint, credentials, sdkRequestTimeoutMs });
      const error = await failure(db.send(new GetCommand({ TableName: "t", Key: { id: "x" } })));
      expect(error.name).toBe("TimeoutError");
      db.destroy();
    },
    WITHIN,
  );

  it(
    "S3",
    async () => {
      const [s3, { HeadObjectCommand }] = await Promise.all([
        s3Client({ region, s3Endpoint: endpoint, credentials, sdkRequestTimeoutMs }),
        loadS3Sdk(),
      ]);
      const error = await failure(s3.send(new HeadObjectCommand({ Bucket: "b", Key: "snapshots/game/1.json" })));
      expect(error.name).toBe("TimeoutError");
      s3.destroy();
    },
    WITHIN,
  );

  it(
    "SSM",
    async () => {
      const [ssm, { GetParametersCommand }] = await Promise.all([ssmClient({ region, sdkRequestTimeoutMs }), loadSsmSdk()]);
      const error = await failure(ssm.send(new GetParametersCommand({ Names: ["/sst/app/stage/Secret/X/value"] })));
      expect(error.name).toBe("TimeoutError");
      ssm.destroy();
    },
    WITHIN,
  );

  it(
    "SQS",
    async () => {
      const [sqs, { GetQueueUrlCommand }] = await Promise.all([sqsClient({ region, sdkRequestTimeoutMs }), loadSqsSdk()]);
      const error = await failure(sqs.send(new GetQueueUrlCommand({ QueueName: "fanout-tasks" })));
      expect(error.name).toBe("TimeoutError");
      sqs.destroy();
    },
    WITHIN,
  );

  it(
    "API Gateway Management API",
    async () => {
      const [management, { GetConnectionCommand }] = await Promise.all([
        managementApiClient({ region, pushRetry: { maxAttempts: 2, baseMs: 10, capMs: 10 }, sdkRequestTimeoutMs }, endpoint),
        loadManagementApiSdk(),
      ]);
      // Its credentials come from the environment, like a function's role.
      const error = await failure(management.send(new GetConnectionCommand({ ConnectionId: "c1" })));
      expect(error.name).toBe("TimeoutError");
      management.destroy();
    },
    WITHIN,
  );
});

/**
 * The AWS SDK clients, built from config. Against the local cloud the
 * endpoints point at DynamoDB Local and the S3 emulator; the S3 client then
 * uses path-style URLs and checksums only when required (docs/aws-facts.md, "S3 locally").
 *
 * Every client but DynamoDB's (which nearly every function uses) is loaded on
 * first use: a handler's cold start loads only the SDK packages it calls
 * (a ws/ping that loaded S3, SSM and SQS too took 270 modules; BENCHMARKS.md).
 * The adapters load their commands through the same loaders.
 */
import type { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DEFAULT_SDK_REQUEST_TIMEOUT_MS, type Config } from "../config";
import { isClientBufferFull } from "./management-api-outcomes";
import { DEFAULT_PUSH_RETRY, retryDelayMs, type PushRetryOptions } from "./push-retry-policy";

/** Each SDK package on first use (Node caches the import; esbuild keeps it lazy in a deployed bundle too). */
export const loadS3Sdk = () => import("@aws-sdk/client-s3");
export const loadS3Presigner = () => import("@aws-sdk/s3-request-presigner");
export const loadSsmSdk = () => import("@aws-sdk/client-ssm");
export const loadSqsSdk = () => import("@aws-sdk/client-sqs");
export const loadManagementApiSdk = () => import("@aws-sdk/client-apigatewaymanagementapi");

/**
 * Every SDK call gives up on a connection that does not open in 3 s or an
 * answer that does not come in sdkRequestTimeoutMs (default 5 s), and the SDK
 * retries it: one hung call (a snapshot PUT once hung for the whole 60 s
 * function timeout, and the retried batch pushed to every fan again) costs
 * seconds, not the invocation. throwOnRequestTimeout: without it the
 * @smithy/node-http-handler 4.x here only logs a warning and waits on
 * (sdk-request-timeouts.test.ts fails for every client but SSM without it).
 */
const SDK_CONNECTION_TIMEOUT_MS = 3_000;
type RequestTimeout = { sdkRequestTimeoutMs?: number };
function requestHandler(config: RequestTimeout) {
  const requestTimeout = config.sdkRequestTimeoutMs ?? DEFAULT_SDK_REQUEST_TIMEOUT_MS;
  // A connection gets at least SDK_CONNECTION_TIMEOUT_MS and, with a longer call timeout (DynamoDB Local on a loaded
  // machine), half of it: a fixed 3 s refused connections to DynamoDB Local in CI.
  const connectionTimeout = Math.min(requestTimeout, Math.max(SDK_CONNECTION_TIMEOUT_MS, requestTimeout / 2));
  return { connectionTimeout, requestTimeout, throwOnRequestTimeout: true };
}

/** Explicit credentials are for tools and tests (the local cloud's admin pair); functions use their role's, from the environment. */
type ExplicitCredentials = { credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } };

export function dynamoDocumentClient(
  config: Pick<Config, "region" | "dynamodbEndpoint"> & ExplicitCredentials & RequestTimeout,
): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: config.region,
    requestHandler: requestHandler(config),
    ...(config.dynamodbEndpoint && { endpoint: config.dynamodbEndpoint }),
    ...(config.credentials && { credentials: config.credentials }),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export async function s3Client(config: Pick<Config, "region" | "s3Endpoint"> & ExplicitCredentials & RequestTimeout): Promise<S3Client> {
  const { S3Client } = await loadS3Sdk();
  return new S3Client({
    region: config.region,
    requestHandler: requestHandler(config),
    ...(config.credentials && { credentials: config.credentials }),
    ...(config.s3Endpoint && {
      endpoint: config.s3Endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    }),
  });
}

/**
 * The shared push retry policy (push-retry-policy.ts) as an SDK retry
 * strategy, explicit rather than the SDK default. The SDK classifies a 403,
 * 410 or 413 as CLIENT_ERROR, which is never retried, and a full client
 * buffer is not retried either (as in the lean client); when the attempts are
 * spent it throws the last error, which the gateway adapter turns into
 * GatewayUnavailableError for the circuit breaker.
 */
export function pushRetryStrategy(options: PushRetryOptions) {
  const token = (retries: number, delay: number) => ({ getRetryCount: () => retries, getRetryDelay: () => delay });
  type Token = ReturnType<typeof token>;
  return {
    mode: "standard",
    acquireInitialRetryToken: async (_scope: string): Promise<Token> => token(0, 0),
    async refreshRetryTokenForRetry(previous: Token, info: { errorType: string; error?: unknown }): Promise<Token> {
      const retries = previous.getRetryCount() + 1;
      if (info.errorType === "CLIENT_ERROR" || isClientBufferFull(info.error) || retries >= options.maxAttempts)
        throw new Error("no retry");
      return token(retries, retryDelayMs(options, retries));
    },
    recordSuccess: (_token: Token) => {},
  };
}

export async function managementApiClient(
  config: Pick<Config, "region"> & { pushRetry?: PushRetryOptions } & RequestTimeout,
  endpoint: string,
): Promise<ApiGatewayManagementApiClient> {
  const { ApiGatewayManagementApiClient } = await loadManagementApiSdk();
  return new ApiGatewayManagementApiClient({
    region: config.region,
    requestHandler: requestHandler(config),
    endpoint,
    maxAttempts: (config.pushRetry ?? DEFAULT_PUSH_RETRY).maxAttempts,
    retryStrategy: pushRetryStrategy(config.pushRetry ?? DEFAULT_PUSH_RETRY),
  });
}

export async function ssmClient(config: Pick<Config, "region"> & RequestTimeout): Promise<SSMClient> {
  const { SSMClient } = await loadSsmSdk();
  return new SSMClient({ region: config.region, requestHandler: requestHandler(config) });
}

/** Locally AWS_ENDPOINT_URL_SQS (set by the local cloud) points it at the SQS emulator. */
export async function sqsClient(config: Pick<Config, "region"> & RequestTimeout): Promise<SQSClient> {
  const { SQSClient } = await loadSqsSdk();
  return new SQSClient({ region: config.region, requestHandler: requestHandler(config) });
}

import type { DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";

/**
 * DynamoDB Local runs with -sharedDb, so any access key and region reach the
 * same database; it still rejects requests that carry no SigV4 signature, so
 * SDK clients need *some* credentials. Functions get the same through
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION and the endpoint
 * through AWS_ENDPOINT_URL_DYNAMODB (or AWS_ENDPOINT_URL_DYNAMODB_STREAMS).
 */
export const localCredentials = { accessKeyId: "local", secretAccessKey: "local" } as const;
export const localRegion = "us-east-1";

export function localDynamoDbClientConfig(endpoint: string): DynamoDBClientConfig {
  return { endpoint, region: localRegion, credentials: localCredentials };
}

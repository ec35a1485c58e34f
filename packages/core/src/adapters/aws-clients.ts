/**
 * The AWS SDK clients, built from config. Against the local cloud the
 * endpoints point at DynamoDB Local and the S3 emulator; the S3 client then
 * uses path-style URLs and checksums only when required (FACTS.md).
 */
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Config } from "../config";

export function dynamoDocumentClient(config: Pick<Config, "region" | "dynamodbEndpoint">): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ region: config.region, ...(config.dynamodbEndpoint && { endpoint: config.dynamodbEndpoint }) });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function s3Client(config: Pick<Config, "region" | "s3Endpoint">): S3Client {
  return new S3Client({
    region: config.region,
    ...(config.s3Endpoint && {
      endpoint: config.s3Endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    }),
  });
}

export const managementApiClient = (config: Pick<Config, "region">, endpoint: string) =>
  new ApiGatewayManagementApiClient({ region: config.region, endpoint });

export const ssmClient = (config: Pick<Config, "region">) => new SSMClient({ region: config.region });

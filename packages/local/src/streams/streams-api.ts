import {
  DynamoDBStreams,
  type DescribeStreamInput,
  type DescribeStreamOutput,
  type GetRecordsInput,
  type GetRecordsOutput,
  type GetShardIteratorInput,
  type GetShardIteratorOutput,
} from "@aws-sdk/client-dynamodb-streams";
import type { Credentials } from "../iam/access-control";

/**
 * The three DynamoDB Streams calls the poller makes. The SDK's aggregated
 * `DynamoDBStreams` client satisfies it as is; tests pass an in-memory fake to
 * exercise shard rollover, which DynamoDB Local never performs.
 */
export interface StreamsApi {
  describeStream(input: DescribeStreamInput): Promise<DescribeStreamOutput>;
  getShardIterator(input: GetShardIteratorInput): Promise<GetShardIteratorOutput>;
  getRecords(input: GetRecordsInput): Promise<GetRecordsOutput>;
}

/**
 * A real client. Lambda's event source mapping reads a stream with the
 * consumer function's own role, so the local cloud passes that function's
 * credentials and its IAM front checks them; DynamoDB Local alone accepts any.
 */
export function localStreamsApi(
  endpoint: string,
  credentials: Credentials = { accessKeyId: "local", secretAccessKey: "local" },
): StreamsApi & { destroy(): void } {
  return new DynamoDBStreams({ endpoint, region: "us-east-1", credentials });
}

/** Errors after which the poller re-acquires an iterator instead of backing off. */
export const isExpiredIterator = (error: unknown) => (error as Error | undefined)?.name === "ExpiredIteratorException";
export const isTrimmedData = (error: unknown) => (error as Error | undefined)?.name === "TrimmedDataAccessException";
export const isMissingResource = (error: unknown) => (error as Error | undefined)?.name === "ResourceNotFoundException";

import {
  DynamoDBStreams,
  type DescribeStreamInput,
  type DescribeStreamOutput,
  type GetRecordsInput,
  type GetRecordsOutput,
  type GetShardIteratorInput,
  type GetShardIteratorOutput,
} from "@aws-sdk/client-dynamodb-streams";

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

/** A real client for DynamoDB Local (which, with -sharedDb, accepts any credentials). */
export function localStreamsApi(endpoint: string): StreamsApi & { destroy(): void } {
  return new DynamoDBStreams({ endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
}

/** Errors after which the poller re-acquires an iterator instead of backing off. */
export const isExpiredIterator = (error: unknown) => (error as Error | undefined)?.name === "ExpiredIteratorException";
export const isTrimmedData = (error: unknown) => (error as Error | undefined)?.name === "TrimmedDataAccessException";
export const isMissingResource = (error: unknown) => (error as Error | undefined)?.name === "ResourceNotFoundException";

import type { DynamoDBRecord } from "aws-lambda";
import { randomUUID } from "node:crypto";
import { appendFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";

export type OnFailureCondition = "RetryAttemptsExhausted" | "RecordAgeExceeded";

/**
 * What Lambda sends to an on-failure destination (SQS/SNS) for discarded
 * stream records, plus, locally, the records themselves and the last error:
 * on AWS you get only the batch coordinates and must re-read the stream.
 */
export interface OnFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: OnFailureCondition;
    approximateInvokeCount: number;
  };
  responseContext: {
    statusCode: number;
    executedVersion: "$LATEST";
    functionError?: "Unhandled";
  };
  version: "1.0";
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
  /** Local extension: the consumer's logical name. */
  consumer: string;
  /** Local extension: why the last invocation failed, when it did. */
  errorMessage?: string;
  /** Local extension: the discarded records, exactly as the function saw them. */
  records: DynamoDBRecord[];
}

export interface OnFailureDestination {
  send(record: OnFailureRecord): Promise<void>;
}

/** One JSON line per discarded batch in `<dir>/<consumer>.jsonl`, readable with `tail -f` or `jq`. */
export class FileOnFailureDestination implements OnFailureDestination {
  constructor(readonly dir: string) {}

  fileFor(consumer: string): string {
    return join(this.dir, `${consumer.replace(/[^A-Za-z0-9_.-]/g, "_")}.jsonl`);
  }

  async send(record: OnFailureRecord): Promise<void> {
    const file = this.fileFor(record.consumer);
    await mkdir(dirname(file), { recursive: true });
    await appendFile(file, `${JSON.stringify(record)}\n`);
  }
}

/** Keeps discarded batches in memory, for tests. */
export class MemoryOnFailureDestination implements OnFailureDestination {
  readonly records: OnFailureRecord[] = [];

  async send(record: OnFailureRecord): Promise<void> {
    this.records.push(record);
  }

  /** The discarded stream records, flattened across batches. */
  get discarded(): DynamoDBRecord[] {
    return this.records.flatMap((record) => record.records);
  }
}

const isoSeconds = (epochSeconds: number | undefined) => new Date((epochSeconds ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

export interface OnFailureContext {
  consumer: string;
  functionArn: string;
  shardId: string;
  streamArn: string;
  now: number;
}

export function buildOnFailureRecord(
  context: OnFailureContext,
  records: DynamoDBRecord[],
  condition: OnFailureCondition,
  invokeCount: number,
  lastError: string | undefined,
): OnFailureRecord {
  const first = records[0]!;
  const last = records[records.length - 1]!;
  return {
    requestContext: { requestId: randomUUID(), functionArn: context.functionArn, condition, approximateInvokeCount: invokeCount },
    responseContext: {
      statusCode: 200,
      executedVersion: "$LATEST",
      ...(lastError !== undefined ? { functionError: "Unhandled" as const } : {}),
    },
    version: "1.0",
    timestamp: new Date(context.now).toISOString(),
    DDBStreamBatchInfo: {
      shardId: context.shardId,
      startSequenceNumber: first.dynamodb?.SequenceNumber ?? "",
      endSequenceNumber: last.dynamodb?.SequenceNumber ?? "",
      approximateArrivalOfFirstRecord: isoSeconds(first.dynamodb?.ApproximateCreationDateTime),
      approximateArrivalOfLastRecord: isoSeconds(last.dynamodb?.ApproximateCreationDateTime),
      batchSize: records.length,
      streamArn: context.streamArn,
    },
    consumer: context.consumer,
    ...(lastError !== undefined ? { errorMessage: lastError } : {}),
    records,
  };
}

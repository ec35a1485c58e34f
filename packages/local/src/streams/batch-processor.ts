import type { StreamConsumerDecl } from "@pushgate/core/topology";
import type { DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import type { StreamClock } from "./clock";
import type { Log } from "../log";
import { buildOnFailureRecord, type OnFailureCondition, type OnFailureDestination } from "./on-failure";
import type { StreamConsumerStats } from "./stats";

export type StreamInvoke = (event: DynamoDBStreamEvent) => Promise<unknown>;

export interface BatchProcessorOptions {
  name: string;
  consumer: StreamConsumerDecl;
  invoke: StreamInvoke;
  destination: OnFailureDestination;
  clock: StreamClock;
  log: Log;
  stats: StreamConsumerStats;
  streamArn: string;
  functionArn: string;
  /** Back-off before retry number `attempt` (1-based). */
  retryDelayMs: (attempt: number) => number;
  /** Sleeps through the consumer's stop signal. */
  sleep: (ms: number) => Promise<void>;
  stopped: () => boolean;
}

/** What one invocation came to. */
type Outcome = { kind: "success" } | { kind: "failed"; message: string } | { kind: "partial"; firstFailed: number; message: string };

/** A slice of a batch still to deliver, and how many times its first record has failed. */
interface Pending {
  records: DynamoDBRecord[];
  failures: number;
  lastError?: string;
}

/**
 * Delivers one batch of one shard the way Lambda's event source mapping does,
 * in order, and returns only when every record is delivered or discarded to
 * the on-failure destination (or the consumer stops):
 * - records older than maxRecordAgeSeconds are discarded (RecordAgeExceeded);
 * - a thrown error with bisectBatchOnError splits the batch in halves, each
 *   retried on its own (splitting does not use up retry attempts, so a single
 *   poisoned record is isolated before its retries run out);
 * - a partial batch response checkpoints before the first failed record and
 *   retries from it; an unusable itemIdentifier fails the whole batch;
 * - after retryAttempts retries the records go to the destination
 *   (RetryAttemptsExhausted) and the shard moves on. -1 means retry forever.
 */
export class BatchProcessor {
  constructor(private readonly options: BatchProcessorOptions) {}

  async process(shardId: string, records: DynamoDBRecord[]): Promise<void> {
    const { consumer, stats, log, name } = this.options;
    const queue: Pending[] = [{ records, failures: 0 }];
    while (queue.length > 0 && !this.options.stopped()) {
      const pending = queue[0]!;
      await this.discardTooOld(shardId, pending);
      if (pending.records.length === 0) {
        queue.shift();
        continue;
      }
      const outcome = await this.invoke(pending.records);
      if (outcome.kind === "success") {
        stats.recordsDelivered += pending.records.length;
        queue.shift();
        continue;
      }
      stats.failedInvocations += 1;
      const range = `${pending.records.length} record(s) ${sequenceRange(pending.records)} of shard ${shardId}`;
      if (outcome.kind === "partial" && outcome.firstFailed > 0) {
        // Everything before the first failed record is done: checkpoint past it.
        stats.recordsDelivered += outcome.firstFailed;
        pending.records = pending.records.slice(outcome.firstFailed);
        pending.failures = 0;
      } else if (outcome.kind === "failed" && consumer.bisectBatchOnError && pending.records.length > 1) {
        stats.bisections += 1;
        const half = Math.ceil(pending.records.length / 2);
        log("warn", `[${name}] ${range} failed (${outcome.message}); bisecting into ${half} + ${pending.records.length - half}.`);
        queue.splice(
          0,
          1,
          { records: pending.records.slice(0, half), failures: 0, lastError: outcome.message },
          { records: pending.records.slice(half), failures: 0, lastError: outcome.message },
        );
        continue;
      }
      pending.failures += 1;
      pending.lastError = outcome.message;
      const retriesLeft = consumer.retryAttempts === -1 ? Infinity : consumer.retryAttempts - (pending.failures - 1);
      if (retriesLeft <= 0) {
        log(
          "warn",
          `[${name}] ${pending.records.length} record(s) ${sequenceRange(pending.records)} failed ${pending.failures} time(s) (${outcome.message}); sending them to the on-failure destination and moving on.`,
        );
        await this.discard(shardId, pending.records, "RetryAttemptsExhausted", pending.failures, pending.lastError);
        queue.shift();
        continue;
      }
      log(
        "warn",
        `[${name}] ${range} failed (${outcome.message}); retry ${pending.failures} of ${consumer.retryAttempts === -1 ? "unlimited" : consumer.retryAttempts}.`,
      );
      await this.options.sleep(this.options.retryDelayMs(pending.failures));
    }
  }

  private async invoke(records: DynamoDBRecord[]): Promise<Outcome> {
    this.options.stats.invocations += 1;
    let response: unknown;
    try {
      response = await this.options.invoke({ Records: records });
    } catch (error) {
      return { kind: "failed", message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
    return this.options.consumer.reportBatchItemFailures ? interpretPartialResponse(response, records) : { kind: "success" };
  }

  private async discardTooOld(shardId: string, pending: Pending): Promise<void> {
    const maxAge = this.options.consumer.maxRecordAgeSeconds;
    if (maxAge === -1) return;
    const nowSeconds = this.options.clock.now() / 1000;
    // DynamoDB Local truncates ApproximateCreationDateTime to the minute, so a
    // record may be up to 60 s younger than it looks; give it that benefit
    // rather than discard fresh records.
    const tooOld = (record: DynamoDBRecord) => nowSeconds - (record.dynamodb?.ApproximateCreationDateTime ?? nowSeconds) - 60 > maxAge;
    const expired = pending.records.filter(tooOld);
    if (expired.length === 0) return;
    this.options.log(
      "warn",
      `[${this.options.name}] ${expired.length} record(s) ${sequenceRange(expired)} are older than maxRecordAgeSeconds (${maxAge}); sending them to the on-failure destination.`,
    );
    pending.records = pending.records.filter((record) => !tooOld(record));
    await this.discard(shardId, expired, "RecordAgeExceeded", pending.failures, pending.lastError);
  }

  /** Retries the destination until it accepts: dropping the records silently is not an option. */
  private async discard(
    shardId: string,
    records: DynamoDBRecord[],
    condition: OnFailureCondition,
    invokeCount: number,
    lastError: string | undefined,
  ): Promise<void> {
    const { destination, clock, streamArn, functionArn, name, stats, log } = this.options;
    const failureRecord = buildOnFailureRecord(
      { consumer: name, functionArn, shardId, streamArn, now: clock.now() },
      records,
      condition,
      invokeCount,
      lastError,
    );
    for (let attempt = 1; !this.options.stopped(); attempt++) {
      try {
        await destination.send(failureRecord);
        stats.recordsDiscarded += records.length;
        return;
      } catch (error) {
        log(
          "error",
          `[${name}] could not write ${records.length} discarded record(s) to the on-failure destination (${(error as Error).message}); retrying. Check the dead-letter folder is writable.`,
        );
        await this.options.sleep(this.options.retryDelayMs(attempt));
      }
    }
  }
}

function interpretPartialResponse(response: unknown, records: DynamoDBRecord[]): Outcome {
  const failures = (response as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
  // No response, or no list: Lambda reads that as full success.
  if (failures === undefined || failures === null) return { kind: "success" };
  if (!Array.isArray(failures))
    return {
      kind: "failed",
      message: `batchItemFailures is not an array (${JSON.stringify(failures)}); return { batchItemFailures: [{ itemIdentifier: record.dynamodb.SequenceNumber }] }`,
    };
  if (failures.length === 0) return { kind: "success" };
  let firstFailed = records.length;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = typeof id === "string" && id !== "" ? records.findIndex((record) => record.dynamodb?.SequenceNumber === id) : -1;
    if (index === -1) {
      // Lambda fails the whole batch on an identifier it cannot place.
      return {
        kind: "failed",
        message: `invalid itemIdentifier ${JSON.stringify(id)} in batchItemFailures; use the failed record's dynamodb.SequenceNumber`,
      };
    }
    firstFailed = Math.min(firstFailed, index);
  }
  return {
    kind: "partial",
    firstFailed,
    message: `${failures.length} item(s) reported failed, first ${records[firstFailed]!.dynamodb?.SequenceNumber}`,
  };
}

const sequenceRange = (records: DynamoDBRecord[]) =>
  `(seq ${records[0]?.dynamodb?.SequenceNumber}..${records[records.length - 1]?.dynamodb?.SequenceNumber})`;

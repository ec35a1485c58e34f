import type { _Record as StreamRecord, Shard, ShardIteratorType } from "@aws-sdk/client-dynamodb-streams";
import type { StreamConsumerDecl } from "@pushgate/core/topology";
import type { DynamoDBRecord } from "aws-lambda";
import type { BatchProcessor } from "./batch-processor";
import { restAfter, type StreamClock } from "./clock";
import { matchesAnyPattern } from "./event-filter";
import { toLambdaRecord } from "./lambda-event";
import type { Log } from "../log";
import type { StreamConsumerStats } from "./stats";
import { isExpiredIterator, isMissingResource, isTrimmedData, type StreamsApi } from "./streams-api";

export interface ShardReaderOptions {
  name: string;
  api: StreamsApi;
  streamArn: string;
  shard: Shard;
  startingPosition: "LATEST" | "TRIM_HORIZON";
  consumer: StreamConsumerDecl;
  processor: BatchProcessor;
  clock: StreamClock;
  log: Log;
  stats: StreamConsumerStats;
  pollIntervalMs: number;
  sleep: (ms: number) => Promise<void>;
  stopped: () => boolean;
  /** A monotonically increasing stamp, taken before each GetRecords (see drained()). */
  nextMark: () => number;
  /** Called after every poll, so drained() waiters can be checked. */
  onProgress: () => void;
  /** Recognizes the local TTL sweeper's deletions (REMOVE with the service identity). */
  isServiceDeletion?: (record: StreamRecord) => boolean;
}

/** GetRecords returns at most 1,000 records per call. */
const maxRecordsPerCall = 1000;

/**
 * Reads one shard in order and hands batches to the processor, one at a time
 * (per-shard order is what makes stream consumers correct). Records read but
 * not yet delivered stay in memory, so an iterator can be re-acquired after
 * the last record *read* without delivering anything twice.
 */
export class ShardReader {
  /** Stamp of the last poll that found the shard empty with nothing buffered. */
  caughtUpMark = 0;
  finished = false;
  private iterator: string | undefined;
  private lastReadSequence: string | undefined;
  private buffer: DynamoDBRecord[] = [];
  private firstBufferedAt = 0;
  /** Set by TrimmedDataAccessException: our position is gone, resume from the oldest record left. */
  private trimmed = false;
  private markPositioned!: () => void;
  private readonly startedAtMs: number;
  /** Set when a LATEST start had to fall back to TRIM_HORIZON: records created before it are the past. */
  private skipCreatedBeforeSeconds = 0;
  /**
   * Resolves once the reader holds its first iterator (or gave up on the
   * shard), so a consumer starting at LATEST sees every write made after its
   * start resolved, as a test or the local cloud expects.
   */
  readonly positioned = new Promise<void>((resolve) => (this.markPositioned = resolve));

  constructor(private readonly options: ShardReaderOptions) {
    this.startedAtMs = options.clock.now();
  }

  get shardId(): string {
    return this.options.shard.ShardId!;
  }

  async run(): Promise<void> {
    const { options } = this;
    options.stats.shardsStarted += 1;
    while (!options.stopped() && !this.finished) {
      try {
        await this.pollOnce();
      } catch (error) {
        // A failing read (emulator restarting, network) must not end the poller: back off and try again.
        this.markPositioned();
        options.stats.readErrors += 1;
        options.log(
          "warn",
          `[${options.name}] reading shard ${this.shardId} failed (${(error as Error).message}); retrying in 1 s. Is DynamoDB Local still running?`,
        );
        await options.sleep(1_000);
      }
      options.onProgress();
    }
    this.markPositioned();
    if (this.finished) options.stats.shardsFinished += 1;
  }

  private async pollOnce(): Promise<void> {
    const { options } = this;
    if (this.iterator === undefined) {
      this.iterator = await this.acquireIterator();
      if (this.iterator === undefined) return;
      this.markPositioned();
    }
    const mark = options.nextMark();
    const wanted = Math.min(maxRecordsPerCall, Math.max(1, options.consumer.batchSize - this.buffer.length));
    let output;
    const askedAt = options.clock.now();
    try {
      output = await options.api.getRecords({ ShardIterator: this.iterator, Limit: wanted });
    } catch (error) {
      if (isExpiredIterator(error) || isTrimmedData(error)) {
        options.stats.iteratorRecoveries += 1;
        options.log(
          "info",
          `[${options.name}] ${(error as Error).name} on shard ${this.shardId}; re-acquiring an iterator after ${this.lastReadSequence ?? options.startingPosition}.`,
        );
        this.iterator = undefined;
        if (isTrimmedData(error)) this.trimmed = true;
        // Pause as after an empty read, so an emulator that keeps refusing is not polled in a busy loop.
        await options.sleep(options.pollIntervalMs);
        return;
      }
      throw error;
    }
    const readMs = options.clock.now() - askedAt;
    const records = output.Records ?? [];
    options.stats.recordsRead += records.length;
    for (const record of records) {
      this.lastReadSequence = record.dynamodb?.SequenceNumber ?? this.lastReadSequence;
      const lambdaRecord = toLambdaRecord(
        record,
        options.streamArn,
        options.isServiceDeletion ? { isServiceDeletion: options.isServiceDeletion } : {},
      );
      const beforeStart = (lambdaRecord.dynamodb?.ApproximateCreationDateTime ?? Infinity) < this.skipCreatedBeforeSeconds;
      if (beforeStart || !matchesAnyPattern(lambdaRecord, options.consumer.filters)) {
        options.stats.recordsFiltered += 1;
        continue;
      }
      if (this.buffer.length === 0) this.firstBufferedAt = options.clock.now();
      this.buffer.push(lambdaRecord);
    }
    // No NextShardIterator: the shard is closed and fully read.
    const shardEnded = !output.NextShardIterator;
    this.iterator = output.NextShardIterator;
    await this.flush(shardEnded);
    if (records.length === 0 && this.buffer.length === 0) this.caughtUpMark = mark;
    if (shardEnded && this.buffer.length === 0) {
      this.finished = true;
      return;
    }
    // A full page means more is waiting: read on at once, as Lambda does. A slow GetRecords means DynamoDB
    // Local is busy (its one SQLite thread serves every handler too): poll less often then (restAfter).
    if (records.length < wanted) await options.sleep(restAfter(options.pollIntervalMs, readMs));
  }

  /** Invokes when the batch is full, the batching window has passed, or (window 0) whenever records wait. */
  private async flush(shardEnded: boolean): Promise<void> {
    const { consumer, clock, processor } = this.options;
    while (this.buffer.length > 0 && !this.options.stopped()) {
      const full = this.buffer.length >= consumer.batchSize;
      const windowOver = clock.now() - this.firstBufferedAt >= consumer.maxBatchingWindowSeconds * 1000;
      if (!full && !windowOver && !shardEnded) return;
      const batch = this.buffer.splice(0, consumer.batchSize);
      this.firstBufferedAt = clock.now();
      await processor.process(this.shardId, batch);
    }
  }

  /** Undefined when the shard no longer exists (then it is finished). */
  private async acquireIterator(): Promise<string | undefined> {
    const { options } = this;
    let type: ShardIteratorType = options.startingPosition;
    let sequenceNumber: string | undefined;
    if (this.lastReadSequence && !this.trimmed) {
      type = "AFTER_SEQUENCE_NUMBER";
      sequenceNumber = this.lastReadSequence;
    } else if (this.trimmed && this.lastReadSequence === undefined) {
      // DynamoDB Local refuses a LATEST iterator taken on an empty shard as
      // "trimmed" once the first record arrives. Nothing was read yet, so read
      // from the oldest record, skipping what was written before we started
      // (to the minute: DynamoDB Local truncates ApproximateCreationDateTime).
      options.log(
        "debug",
        `[${options.name}] first iterator on shard ${this.shardId} was refused as trimmed; reading from TRIM_HORIZON, skipping records older than the start.`,
      );
      type = "TRIM_HORIZON";
      if (options.startingPosition === "LATEST") this.skipCreatedBeforeSeconds = Math.floor(this.startedAtMs / 60_000) * 60;
      this.trimmed = false;
    } else if (this.trimmed) {
      // The records after our position aged out of the stream (24 h); the oldest left is the best we can do.
      options.log(
        "warn",
        `[${options.name}] records after ${this.lastReadSequence} on shard ${this.shardId} were trimmed; resuming from TRIM_HORIZON. Some records were lost.`,
      );
      type = "TRIM_HORIZON";
      this.trimmed = false;
    }
    try {
      const output = await options.api.getShardIterator({
        StreamArn: options.streamArn,
        ShardId: this.shardId,
        ShardIteratorType: type,
        SequenceNumber: sequenceNumber,
      });
      if (!output.ShardIterator) {
        this.finished = true;
        return undefined;
      }
      return output.ShardIterator;
    } catch (error) {
      if (isTrimmedData(error)) {
        this.trimmed = true;
        return undefined;
      }
      if (isMissingResource(error)) {
        options.log("warn", `[${options.name}] shard ${this.shardId} no longer exists; treating it as finished.`);
        this.finished = true;
        return undefined;
      }
      throw error;
    }
  }
}

/**
 * A DynamoDB stream batch -> publications, with partial batch failures in the
 * Powertools style (`batchItemFailures` keyed by SequenceNumber; a whole-batch
 * failure only when every record failed).
 *
 * A record publishes only when its NewImage.seq is above its OldImage.seq (a
 * queue join, a TTL delete or an unrelated attribute change is no news), and
 * within one batch only the newest seq of each topic is published: a client
 * would drop the older ones anyway. A record whose image cannot be read (a
 * poison record) fails alone; the rest of the batch is still published.
 */
import type { MessageFrame } from "./protocol";
import type { Log } from "./ports";

/** The part of a Lambda DynamoDBRecord this reads; images still in AttributeValue form. */
export interface StreamRecordIn {
  eventName?: string;
  dynamodb?: { SequenceNumber?: string; NewImage?: unknown; OldImage?: unknown };
}

/** A record with its images unmarshalled to plain objects. */
export interface Change {
  sequenceNumber: string;
  eventName: string;
  newImage?: Record<string, unknown>;
  oldImage?: Record<string, unknown>;
}

/** Reads a record's images; throws on a record it cannot read. */
export type DecodeRecord = (record: StreamRecordIn) => Change;
/** The publication a change makes, or undefined when it is no news; throws on an unreadable image. */
export type PublicationOf = (change: Change) => Promise<MessageFrame | undefined>;

export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export class FullBatchFailureError extends Error {
  override readonly name = "FullBatchFailureError";
  constructor(readonly failures: number) {
    super(`all ${failures} records of the batch failed; the event source mapping retries or bisects it (see the logs above)`);
  }
}

export interface BatchDeps {
  decode: DecodeRecord;
  publicationOf: PublicationOf;
  /** Snapshot + fan-out of one publication; throws when it must be retried. */
  publish(frame: MessageFrame): Promise<unknown>;
  /** True once the invocation is too close to its timeout to start another publication. */
  outOfTime?: () => boolean;
  log: Log;
}

/** seq of an image when the change raised it, else undefined. */
export function raisedSeq(change: Change): number | undefined {
  const next = change.newImage?.seq;
  if (typeof next !== "number") return undefined;
  const previous = typeof change.oldImage?.seq === "number" ? change.oldImage.seq : 0;
  return next > previous ? next : undefined;
}

export async function processStreamBatch(records: StreamRecordIn[], deps: BatchDeps): Promise<BatchResponse> {
  const failed = new Set<string>();
  const newestByTopic = new Map<string, { frame: MessageFrame; sequenceNumbers: string[] }>();

  for (const [index, record] of records.entries()) {
    const sequenceNumber = sequenceNumberOf(record, index);
    try {
      const frame = await deps.publicationOf(deps.decode(record));
      if (!frame) continue;
      const entry = newestByTopic.get(frame.topic);
      if (!entry) newestByTopic.set(frame.topic, { frame, sequenceNumbers: [sequenceNumber] });
      else {
        entry.sequenceNumbers.push(sequenceNumber);
        if (frame.seq >= entry.frame.seq) entry.frame = frame;
      }
    } catch (error) {
      failed.add(sequenceNumber);
      deps.log.error(
        "stream record could not be turned into a publication; it is reported as failed and ends in the on-failure destination once its retries run out",
        {
          sequenceNumber,
          eventName: record.eventName,
          error: String(error),
        },
      );
    }
  }

  // One topic after the other: each publication already pushes with bounded concurrency.
  for (const { frame, sequenceNumbers } of newestByTopic.values()) {
    if (deps.outOfTime?.()) {
      // Not started: reported failed, so the event source mapping retries it rather than Lambda killing it mid-push.
      for (const sequenceNumber of sequenceNumbers) failed.add(sequenceNumber);
      deps.log.warn("publication not started: the invocation is close to its timeout; its records are reported for retry", {
        topic: frame.topic,
        seq: frame.seq,
      });
      continue;
    }
    try {
      await deps.publish(frame);
    } catch (error) {
      for (const sequenceNumber of sequenceNumbers) failed.add(sequenceNumber);
      deps.log.error("publication failed; its records are reported for retry", {
        topic: frame.topic,
        seq: frame.seq,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  }

  return batchResponse(failed, records.length);
}

/**
 * Handles each record on its own (the job worker): a record that throws is
 * reported as failed, the others are not held back.
 */
export async function processEachRecord(
  records: StreamRecordIn[],
  deps: { decode: DecodeRecord; handle(change: Change): Promise<void>; log: Log },
): Promise<BatchResponse> {
  const failed = new Set<string>();
  for (const [index, record] of records.entries()) {
    const sequenceNumber = sequenceNumberOf(record, index);
    try {
      await deps.handle(deps.decode(record));
    } catch (error) {
      failed.add(sequenceNumber);
      deps.log.error("stream record failed; it is reported for retry and ends in the on-failure destination once its retries run out", {
        sequenceNumber,
        eventName: record.eventName,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  }
  return batchResponse(failed, records.length);
}

const sequenceNumberOf = (record: StreamRecordIn, index: number) => record.dynamodb?.SequenceNumber ?? `missing-sequence-number-${index}`;

/** Powertools' rule: report the failed records; fail the invocation only when all of them failed. */
function batchResponse(failed: Set<string>, total: number): BatchResponse {
  if (total > 0 && failed.size >= total) throw new FullBatchFailureError(failed.size);
  return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
}

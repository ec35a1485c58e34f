/**
 * FanoutTaskQueue over SQS: SendMessageBatch, up to ten entries a call and
 * no more bytes than the queue's MaximumMessageSize per call (SQS's limits on a
 * batch), the calls in parallel. Entries SQS refused in a batch that
 * otherwise succeeded are sent again (a few times); what is still refused
 * then is thrown, so the caller's record or message is retried: a task is
 * never dropped silently.
 */
import type { SendMessageBatchRequestEntry, SQSClient } from "@aws-sdk/client-sqs";
import { loadSqsSdk } from "./aws-clients";
import { encodeTask } from "../usecases/fanout-tasks";
import type { FanoutTask, FanoutTaskQueue } from "../ports";

/** SQS's own limit on entries per SendMessageBatch. */
const MAX_BATCH_ENTRIES = 10;
const MAX_ATTEMPTS = 3;

export class SqsFanoutTaskQueue implements FanoutTaskQueue {
  constructor(
    /** Made on first use: only a publication that splits needs it. */
    private readonly client: () => Promise<SQSClient>,
    private readonly queueUrl: () => string,
    /** The queue's MaximumMessageSize (topology queues), also the most one batch call may carry. */
    private readonly maxBytes: number,
  ) {}

  async enqueue(tasks: FanoutTask[]): Promise<void> {
    const batches: SendMessageBatchRequestEntry[][] = [];
    let bytes = 0;
    tasks.forEach((task, index) => {
      const body = encodeTask(task);
      const size = Buffer.byteLength(body, "utf8");
      if (size > this.maxBytes)
        throw new Error(
          `a fan-out task of ${task.frame.topic} is ${size} bytes, over the queue's ${this.maxBytes}; the frame is too big to split (raise maxMessageSizeBytes in topology.ts)`,
        );
      const last = batches[batches.length - 1];
      if (!last || last.length >= MAX_BATCH_ENTRIES || bytes + size > this.maxBytes) {
        batches.push([{ Id: String(index), MessageBody: body }]);
        bytes = size;
      } else {
        last.push({ Id: String(index), MessageBody: body });
        bytes += size;
      }
    });
    await Promise.all(batches.map((entries) => this.send(entries)));
  }

  private async send(entries: SendMessageBatchRequestEntry[]): Promise<void> {
    let pending = entries;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const [{ SendMessageBatchCommand }, client] = await Promise.all([loadSqsSdk(), this.client()]);
      const output = await client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl(), Entries: pending }));
      const failed = output.Failed ?? [];
      if (failed.length === 0) return;
      const refused = failed.filter((entry) => entry.SenderFault);
      if (refused.length > 0 || attempt >= MAX_ATTEMPTS) {
        const first = refused[0] ?? failed[0]!;
        throw new Error(
          `SQS did not take ${failed.length} fan-out task(s) (${first.Code}: ${first.Message}); the publication is retried. Check the queue exists and its MaximumMessageSize`,
        );
      }
      const ids = new Set(failed.map((entry) => entry.Id));
      pending = pending.filter((entry) => ids.has(entry.Id));
    }
  }
}

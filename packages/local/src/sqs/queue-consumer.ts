/**
 * The local Lambda event source mapping for one SQS queue (topology
 * `queues`), with Lambda's semantics:
 * - up to `maxConcurrency` invocations at once, each with a batch of up to
 *   `batchSize` messages, received with the queue's visibility timeout;
 * - a successful invocation deletes its messages; with a partial batch
 *   response only the ones not listed in `batchItemFailures` (an identifier
 *   that is not a messageId of the batch fails the whole batch);
 * - a failed or timed-out invocation deletes nothing: its messages come back
 *   when their visibility timeout ends, and after `maxReceiveCount` receives
 *   the queue's redrive moves them to the dead-letter queue.
 * The mapping receives with the function's own role, so a consumer without
 * the receive grants is refused at start, as CloudFormation would refuse it.
 */
import type { SQSEvent, SQSRecord } from "aws-lambda";
import type { QueueDecl } from "@pushgate/core/topology";
import { queueConsumeActions } from "@pushgate/core/iam-policy";
import type { Log } from "../log";
import type { AccessControl, Principal } from "../iam/access-control";
import type { LocalQueue } from "./queue-store";

export interface QueueConsumerOptions {
  name: string;
  queue: LocalQueue;
  decl: QueueDecl;
  /** The consumer function's principal: the mapping receives and deletes with its role. */
  principal: Principal;
  accessControl: AccessControl;
  invoke: (event: SQSEvent) => Promise<unknown>;
  region: string;
  /** How long an empty poll waits before looking again (a send wakes it sooner). Default 20 ms. */
  pollIntervalMs?: number;
  log: Log;
}

export interface QueueConsumerStats {
  invocations: number;
  failedInvocations: number;
  deleted: number;
}

export interface QueueConsumer {
  readonly stats: Readonly<QueueConsumerStats>;
  /** Resolves once the queue holds nothing, visible or in flight, and no invocation runs. */
  drained(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function startQueueConsumer(options: QueueConsumerOptions): QueueConsumer {
  const { queue, decl, name, log } = options;
  for (const action of queueConsumeActions) {
    if (!options.accessControl.allows(options.principal, action, queue.settings.arn))
      throw new Error(
        `queue consumer ${name}: its function's role lacks ${action} on ${queue.settings.arn}; the event source mapping cannot read the queue (policyFor with consumesQueue grants it)`,
      );
  }
  if (decl.maxBatchingWindowSeconds !== 0)
    throw new Error(`queue consumer ${name}: maxBatchingWindowSeconds other than 0 is not emulated yet; set it to 0 in topology.ts`);
  if (decl.visibilityTimeoutSeconds < decl.function.timeoutSeconds)
    // AWS refuses to create such a mapping: a message would be handed out again while its first invocation still runs.
    throw new Error(
      `queue consumer ${name}: the queue's visibility timeout (${decl.visibilityTimeoutSeconds} s) is below the function's timeout (${decl.function.timeoutSeconds} s); AWS refuses this mapping. Raise visibilityTimeoutSeconds in topology.ts`,
    );

  const stats: QueueConsumerStats = { invocations: 0, failedInvocations: 0, deleted: 0 };
  let running = 0;
  let stopped = false;
  const wakers = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of wakers) wake();
  };
  const unsubscribe = queue.onSend(wakeAll);
  const pollIntervalMs = options.pollIntervalMs ?? 20;

  const sleep = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, pollIntervalMs);
      wakers.add(done);
    });

  async function poller(): Promise<void> {
    while (!stopped) {
      const messages = queue.receive(decl.batchSize, options.principal.arn);
      if (messages.length === 0) {
        await sleep();
        continue;
      }
      running++;
      try {
        await deliver(messages);
      } finally {
        running--;
      }
    }
  }

  async function deliver(messages: ReturnType<LocalQueue["receive"]>): Promise<void> {
    const records: SQSRecord[] = messages.map((message) => ({
      messageId: message.messageId,
      receiptHandle: message.receiptHandle,
      body: message.body,
      attributes: message.attributes,
      messageAttributes: {},
      md5OfBody: message.md5OfBody,
      eventSource: "aws:sqs",
      eventSourceARN: queue.settings.arn,
      awsRegion: options.region,
    }));
    stats.invocations++;
    let response: unknown;
    try {
      response = await options.invoke({ Records: records });
    } catch (error) {
      stats.failedInvocations++;
      log(
        "warn",
        `[${name}] invocation failed (${(error as Error).message}); its ${messages.length} message(s) come back after the visibility timeout (${decl.visibilityTimeoutSeconds} s).`,
      );
      return;
    }
    const failedIds = failedIdsOf(response, messages);
    if (failedIds === "whole batch") {
      stats.failedInvocations++;
      log("warn", `[${name}] batchItemFailures names a message that is not in the batch; the whole batch is retried, as Lambda does.`);
      return;
    }
    for (const message of messages) {
      if (failedIds.has(message.messageId)) continue;
      queue.delete(message.receiptHandle);
      stats.deleted++;
    }
    if (failedIds.size > 0) stats.failedInvocations++;
  }

  const pollers = Array.from({ length: decl.maxConcurrency }, poller);

  return {
    stats,
    drained: (timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const check = () => {
          const { visible, inFlight } = queue.counts();
          if (visible === 0 && inFlight === 0 && running === 0) return resolve();
          if (Date.now() - started > timeoutMs)
            return reject(
              new Error(
                `queue consumer ${name} did not drain within ${timeoutMs} ms (${visible} visible, ${inFlight} in flight, ${running} invocation(s) running); a task may be failing: see the log`,
              ),
            );
          setTimeout(check, 20);
        };
        check();
      }),
    stop: async () => {
      stopped = true;
      unsubscribe();
      wakeAll();
      await Promise.all(pollers);
    },
  };
}

/** The messageIds to keep, from a partial batch response; Lambda reads no response, or no list, as full success. */
function failedIdsOf(response: unknown, messages: { messageId: string }[]): Set<string> | "whole batch" {
  const failures = (response as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return "whole batch";
  const ids = new Set(messages.map((message) => message.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || !ids.has(id)) return "whole batch";
    failed.add(id);
  }
  return failed;
}

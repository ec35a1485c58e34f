/**
 * The local SQS with the real `@aws-sdk/client-sqs`: SigV4 and IAM per
 * function as on AWS, SQS's limits and error shapes, and the event source
 * mapping's delivery (partial batch failures, visibility timeout, redrive to
 * the dead-letter queue). The queue's clock is stepped, not waited for.
 */
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { SqsFanoutTaskQueue } from "@pushgate/core/adapters/sqs-fanout-tasks";
import { policyFor } from "@pushgate/core/iam-policy";
import { decodeTask } from "@pushgate/core/usecases/fanout-tasks";
import type { FunctionDecl, QueueDecl } from "@pushgate/core/topology";
import type { SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AccessControl, type Credentials } from "../../src/iam/access-control";
import { grantHintFor, localResourceArns, queueArn } from "../../src/iam/arns";
import { startQueueConsumer, type QueueConsumer } from "../../src/sqs/queue-consumer";
import { LocalQueue } from "../../src/sqs/queue-store";
import { startLocalSqs, type LocalSqs } from "../../src/sqs/sqs-server";

const region = "us-east-1";
const account = "123456789012";
const logged: string[] = [];
const names = {
  region,
  accountId: account,
  app: "pushgate",
  stage: "t",
  apiId: "local",
  tables: {},
  buckets: {},
  queues: { tasks: "t-pushgate-tasks" },
};
const accessControl = new AccessControl({
  region,
  accountId: account,
  log: (_level, message) => void logged.push(message),
  grantHint: grantHintFor(names),
});
const arns = localResourceArns(names);
const time = { ms: Date.UTC(2027, 0, 1) };
const queues = new Map<string, LocalQueue>();
let sqs: LocalSqs;
let deadLetters: LocalQueue;
let queue: LocalQueue;

const fn = (grants: FunctionDecl["grants"]): FunctionDecl => ({ handler: "x.handler", timeoutSeconds: 1, memoryMB: 128, grants });
const sender = fn({ queues: { tasks: "send" } });
const stranger = fn({});
const consumerDecl: QueueDecl = {
  function: fn({}),
  batchSize: 3,
  maxBatchingWindowSeconds: 0,
  maxConcurrency: 2,
  visibilityTimeoutSeconds: 30,
  maxReceiveCount: 2,
  maxMessageSizeBytes: 1024,
  retentionSeconds: 3600,
};

const credentialsOf = (name: string, decl: FunctionDecl, consumesQueue?: string): Credentials =>
  accessControl.issueForFunction(name, `t-${name}`, policyFor(decl, arns, consumesQueue ? { consumesQueue } : {}));
const client = (credentials: Credentials) =>
  new SQSClient({ region, endpoint: sqs.endpoint, credentials: credentials as Required<Credentials>, maxAttempts: 1 });

beforeAll(async () => {
  sqs = await startLocalSqs({ accessControl, queues, log: () => {} });
  const now = () => time.ms;
  const settings = (name: string) => ({
    name,
    arn: queueArn(region, account, name),
    url: `${sqs.endpoint}/${account}/${name}`,
    visibilityTimeoutSeconds: 30,
    maxMessageSizeBytes: 1024,
    retentionSeconds: 3600,
  });
  deadLetters = new LocalQueue(settings("t-pushgate-tasks-dead-letters"), now);
  queue = new LocalQueue({ ...settings("t-pushgate-tasks"), redrive: { deadLetters, maxReceiveCount: 2 } }, now);
  queues.set(queue.settings.name, queue);
  queues.set(deadLetters.settings.name, deadLetters);
});
afterAll(async () => sqs?.stop());

const url = () => queue.settings.url;

describe("the SQS front", () => {
  it("takes a message from a function granted send, with SQS's MD5 of the body", async () => {
    const output = await client(credentialsOf("sender", sender)).send(new SendMessageCommand({ QueueUrl: url(), MessageBody: "hello" }));
    expect(output.MD5OfMessageBody).toBe("5d41402abc4b2a76b9719d911017c592");
    const [received] = queue.receive(10, "test");
    expect(received?.body).toBe("hello");
    expect(queue.delete(received!.receiptHandle)).toBe(true);
  });

  it("refuses a function without the grant with AccessDenied, and a forged signature", async () => {
    await expect(
      client(credentialsOf("stranger", stranger)).send(new SendMessageCommand({ QueueUrl: url(), MessageBody: "x" })),
    ).rejects.toMatchObject({
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
      message: expect.stringContaining("is not authorized to perform: sqs:SendMessage"),
    });
    expect(logged.some((line) => line.includes('queues: { tasks: "send" }'))).toBe(true);
    const forged = { ...credentialsOf("forger", sender), secretAccessKey: "wrong" };
    await expect(client(forged).send(new SendMessageCommand({ QueueUrl: url(), MessageBody: "x" }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
  });

  it("refuses what SQS refuses: a body over the queue's maximum, 11 entries, a batch over the maximum, a missing queue", async () => {
    const sqsClient = client(credentialsOf("sender2", sender));
    await expect(sqsClient.send(new SendMessageCommand({ QueueUrl: url(), MessageBody: "x".repeat(1025) }))).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
    });
    const entries = (n: number, size = 1) => Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, MessageBody: "y".repeat(size) }));
    await expect(sqsClient.send(new SendMessageBatchCommand({ QueueUrl: url(), Entries: entries(11) }))).rejects.toMatchObject({
      name: "TooManyEntriesInBatchRequest",
    });
    await expect(sqsClient.send(new SendMessageBatchCommand({ QueueUrl: url(), Entries: entries(3, 400) }))).rejects.toMatchObject({
      name: "BatchRequestTooLong",
    });
    await expect(
      sqsClient.send(
        new SendMessageBatchCommand({
          QueueUrl: url(),
          Entries: [
            { Id: "a", MessageBody: "1" },
            { Id: "a", MessageBody: "2" },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: "BatchEntryIdsNotDistinct" });
    await expect(
      sqsClient.send(new SendMessageCommand({ QueueUrl: `${sqs.endpoint}/${account}/nope`, MessageBody: "x" })),
    ).rejects.toMatchObject({
      name: "QueueDoesNotExist",
    });
    expect(queue.counts()).toEqual({ visible: 0, inFlight: 0 });
  });
});

describe("core's SQS adapter against it", () => {
  it("enqueues fan-out tasks in batches within ten entries and the queue's size, each a message the task consumer can decode", async () => {
    const credentials = credentialsOf("adapter", sender) as Required<Credentials>;
    const tasks = new SqsFanoutTaskQueue(
      async () => new SQSClient({ region, endpoint: sqs.endpoint, credentials }),
      () => url(),
      queue.settings.maxMessageSizeBytes,
    );
    const frame = {
      type: "message" as const,
      topic: "game/g",
      seq: 1,
      kind: "score-update" as const,
      data: { home: 1, away: 0 },
      ts: "2027-01-01T00:00:00.000Z",
    };
    await tasks.enqueue(Array.from({ length: 12 }, (_, shard) => ({ frame, shard })));
    const received = queue.receive(10, "test").concat(queue.receive(10, "test"));
    expect(received.map((message) => decodeTask(message.body).shard).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    for (const message of received) queue.delete(message.receiptHandle);
  });
});

describe("the queue's event source mapping", () => {
  let consumer: QueueConsumer | undefined;
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
  });

  it("deletes what succeeded, hands a failed item out again after the visibility timeout, then redrives it to the DLQ", async () => {
    const consumerCredentials = credentialsOf("consumer", consumerDecl.function, "tasks");
    const seen: string[][] = [];
    consumer = startQueueConsumer({
      name: "tasks",
      queue,
      decl: consumerDecl,
      principal: accessControl.principalOf(consumerCredentials),
      accessControl,
      region,
      log: () => {},
      invoke: async (event: SQSEvent) => {
        seen.push(event.Records.map((record) => record.body));
        expect(event.Records[0]).toMatchObject({ eventSource: "aws:sqs", eventSourceARN: queue.settings.arn });
        return {
          batchItemFailures: event.Records.filter((record) => record.body === "poison").map((record) => ({
            itemIdentifier: record.messageId,
          })),
        };
      },
    });
    const sqsClient = client(credentialsOf("sender3", sender));
    await sqsClient.send(
      new SendMessageBatchCommand({
        QueueUrl: url(),
        Entries: ["a", "poison", "b"].map((body, i) => ({ Id: `m${i}`, MessageBody: body })),
      }),
    );
    await until(() => seen.flat().length >= 3);
    expect(queue.counts()).toEqual({ visible: 0, inFlight: 1 });
    // Not before the visibility timeout...
    time.ms += 29_000;
    await settle();
    expect(seen.flat().filter((body) => body === "poison")).toHaveLength(1);
    // ...then again, then (maxReceiveCount 2) to the dead-letter queue.
    time.ms += 2_000;
    await until(() => seen.flat().filter((body) => body === "poison").length === 2);
    time.ms += 31_000;
    await until(() => deadLetters.counts().visible === 1);
    expect(queue.counts()).toEqual({ visible: 0, inFlight: 0 });
    expect(consumer.stats.deleted).toBe(2);
    const dead = await client(credentialsOf("reader", fn({}), undefined))
      .send(new GetQueueAttributesCommand({ QueueUrl: deadLetters.settings.url, AttributeNames: ["All"] }))
      .catch((error: Error) => error);
    // A role without sqs:GetQueueAttributes on the DLQ is refused, as on AWS.
    expect(dead).toMatchObject({ name: "AccessDenied" });
    const operator = accessControl.issueOperator();
    const [message] =
      (await client(operator).send(new ReceiveMessageCommand({ QueueUrl: deadLetters.settings.url, MaxNumberOfMessages: 10 }))).Messages ??
      [];
    expect(message?.Body).toBe("poison");
  });

  it("refuses to start for a function whose role cannot receive, and a visibility timeout below the function's timeout", () => {
    const start = (decl: QueueDecl, credentials: Credentials) =>
      startQueueConsumer({
        name: "tasks",
        queue,
        decl,
        principal: accessControl.principalOf(credentials),
        accessControl,
        region,
        log: () => {},
        invoke: async () => ({}),
      });
    expect(() => start(consumerDecl, credentialsOf("noreceive", consumerDecl.function))).toThrow(/lacks sqs:ReceiveMessage/);
    expect(() => start({ ...consumerDecl, visibilityTimeoutSeconds: 0 }, credentialsOf("c2", consumerDecl.function, "tasks"))).toThrow(
      /visibility timeout \(0 s\) is below the function's timeout/,
    );
  });
});

async function settle() {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 25));
}

async function until(condition: () => boolean) {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

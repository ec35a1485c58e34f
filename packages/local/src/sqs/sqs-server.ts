/**
 * The local SQS endpoint: AWS's JSON 1.0 protocol (what `@aws-sdk/client-sqs`
 * speaks), SigV4-checked and authorized per call against the caller's
 * policy, like the other emulated services. It serves what pushgate and its
 * tests use: SendMessage and SendMessageBatch (10 entries, the queue's
 * MaximumMessageSize per message and per batch), ReceiveMessage,
 * DeleteMessage, GetQueueUrl and GetQueueAttributes. Refusals carry AWS's
 * shape: `__type`, `message` and the `x-amzn-query-error` header the SDK reads
 * the error code from.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeServer, listen, readBody } from "../http-server";
import { describeError, type Log } from "../log";
import type { AccessControl, Principal } from "../iam/access-control";
import { receivedRequest } from "../iam/guarded-request";
import type { LocalQueue } from "./queue-store";

/** SQS's own limit on entries per batch call. */
const MAX_BATCH_ENTRIES = 10;
const MAX_RECEIVE = 10;
/** A request body can never usefully pass this (10 entries at the 1 MiB maximum), so larger ones are cut off. */
const MAX_REQUEST_BYTES = 12 * 1024 * 1024;

export interface LocalSqsOptions {
  accessControl: AccessControl;
  /** By queue name. */
  queues: Map<string, LocalQueue>;
  port?: number;
  host?: string;
  log: Log;
}

export interface LocalSqs {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

class SqsError extends Error {
  constructor(
    readonly status: number,
    /** The JSON protocol's `__type`. */
    readonly type: string,
    /** The query-compatible code (`x-amzn-query-error`), what the SDK names the error. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const refused = (code: string, message: string, type = `com.amazonaws.sqs#${code}`) => new SqsError(400, type, code, message);
const invalidParameter = (message: string) =>
  refused("InvalidParameterValue", message, "com.amazon.coral.service#InvalidParameterValueException");

export async function startLocalSqs(options: LocalSqsOptions): Promise<LocalSqs> {
  const { accessControl, queues, log } = options;

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof SqsError) return answerError(response, error);
      log("error", `local SQS: ${describeError(error)}`);
      answerError(
        response,
        new SqsError(500, "com.amazonaws.sqs#InternalError", "InternalError", "Internal error in the local SQS; see its log."),
      );
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const body = await readBody(request, MAX_REQUEST_BYTES);
    if (body === "too large") throw invalidParameter("The request is larger than any SQS call can be.");
    const auth = accessControl.authenticate(receivedRequest(request, body), "sqs");
    if (!auth.ok) {
      const code =
        auth.problem === "missing"
          ? "MissingAuthenticationToken"
          : auth.problem === "unknown-key" || auth.problem === "bad-token"
            ? "InvalidClientTokenId"
            : "SignatureDoesNotMatch";
      throw new SqsError(403, `com.amazon.coral.service#${code}Exception`, code, auth.message);
    }
    const target = String(request.headers["x-amz-target"] ?? "");
    const operation = target.replace(/^AmazonSQS\./, "");
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
    } catch {
      throw new SqsError(400, "com.amazon.coral.service#SerializationException", "SerializationException", "The request body is not JSON.");
    }
    const principal = auth.principal;
    answer(response, await run(operation, input, principal));
  }

  function queueOf(input: Record<string, unknown>, principal: Principal, action: string): LocalQueue {
    const url = typeof input.QueueUrl === "string" ? input.QueueUrl : "";
    const name = url.split("/").pop() ?? "";
    const queue = queues.get(name);
    if (!queue)
      throw refused(
        "QueueDoesNotExist",
        `The specified queue does not exist: ${url || "(no QueueUrl)"}; use the URL in the function's PUSHGATE_QUEUE_* variable.`,
      );
    const denial = accessControl.authorize(principal, action, [queue.settings.arn]);
    if (denial) throw new SqsError(403, "com.amazon.coral.service#AccessDeniedException", "AccessDenied", denial.message);
    return queue;
  }

  function checkSize(queue: LocalQueue, body: unknown): string {
    if (typeof body !== "string" || body.length === 0)
      throw refused("MissingParameter", "The request must contain the parameter MessageBody.", "com.amazonaws.sqs#MissingParameter");
    const limit = queue.settings.maxMessageSizeBytes;
    if (Buffer.byteLength(body, "utf8") > limit)
      throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`);
    return body;
  }

  async function run(operation: string, input: Record<string, unknown>, principal: Principal): Promise<unknown> {
    switch (operation) {
      case "SendMessage": {
        const queue = queueOf(input, principal, "sqs:SendMessage");
        const message = queue.send(checkSize(queue, input.MessageBody));
        return { MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody };
      }
      case "SendMessageBatch": {
        // IAM has no action of its own for the batch: SendMessage covers it.
        const queue = queueOf(input, principal, "sqs:SendMessage");
        const entries = Array.isArray(input.Entries) ? (input.Entries as Record<string, unknown>[]) : [];
        if (entries.length === 0)
          throw refused("EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request.");
        if (entries.length > MAX_BATCH_ENTRIES)
          throw refused(
            "TooManyEntriesInBatchRequest",
            `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
          );
        const ids = entries.map((entry) => String(entry.Id ?? ""));
        if (new Set(ids).size !== ids.length) throw refused("BatchEntryIdsNotDistinct", "Id values of the batch entries must be distinct.");
        const badId = ids.find((id) => !/^[A-Za-z0-9_-]{1,80}$/.test(id));
        if (badId !== undefined)
          throw refused(
            "InvalidBatchEntryId",
            `A batch entry id can only contain alphanumeric characters, hyphens and underscores, 1 to 80 long: ${JSON.stringify(badId)}.`,
          );
        const total = entries.reduce((sum, entry) => sum + Buffer.byteLength(String(entry.MessageBody ?? ""), "utf8"), 0);
        if (total > queue.settings.maxMessageSizeBytes)
          throw refused(
            "BatchRequestTooLong",
            `Batch requests cannot be longer than ${queue.settings.maxMessageSizeBytes} bytes. You have sent ${total} bytes.`,
          );
        const Successful: unknown[] = [];
        const Failed: unknown[] = [];
        for (const entry of entries) {
          try {
            const message = queue.send(checkSize(queue, entry.MessageBody));
            Successful.push({ Id: entry.Id, MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody });
          } catch (error) {
            if (!(error instanceof SqsError)) throw error;
            Failed.push({ Id: entry.Id, SenderFault: true, Code: error.code, Message: error.message });
          }
        }
        return { Successful, Failed };
      }
      case "ReceiveMessage": {
        const queue = queueOf(input, principal, "sqs:ReceiveMessage");
        const max = input.MaxNumberOfMessages === undefined ? 1 : Number(input.MaxNumberOfMessages);
        if (!Number.isInteger(max) || max < 1 || max > MAX_RECEIVE)
          throw invalidParameter(
            `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and ${MAX_RECEIVE}, if provided.`,
          );
        const visibility = input.VisibilityTimeout === undefined ? undefined : Number(input.VisibilityTimeout);
        const messages = queue.receive(max, principal.arn, visibility);
        return {
          Messages: messages.map((message) => ({
            MessageId: message.messageId,
            ReceiptHandle: message.receiptHandle,
            MD5OfBody: message.md5OfBody,
            Body: message.body,
            Attributes: message.attributes,
          })),
        };
      }
      case "DeleteMessage": {
        const queue = queueOf(input, principal, "sqs:DeleteMessage");
        if (!queue.delete(String(input.ReceiptHandle ?? "")))
          throw refused(
            "ReceiptHandleIsInvalid",
            `The input receipt handle "${String(input.ReceiptHandle)}" is not a valid receipt handle.`,
          );
        return {};
      }
      case "GetQueueUrl": {
        const name = String(input.QueueName ?? "");
        const queue = queues.get(name);
        if (!queue) throw refused("QueueDoesNotExist", `The specified queue does not exist: ${name}.`);
        const denial = accessControl.authorize(principal, "sqs:GetQueueUrl", [queue.settings.arn]);
        if (denial) throw new SqsError(403, "com.amazon.coral.service#AccessDeniedException", "AccessDenied", denial.message);
        return { QueueUrl: queue.settings.url };
      }
      case "GetQueueAttributes": {
        const queue = queueOf(input, principal, "sqs:GetQueueAttributes");
        const { visible, inFlight } = queue.counts();
        return {
          Attributes: {
            QueueArn: queue.settings.arn,
            ApproximateNumberOfMessages: String(visible),
            ApproximateNumberOfMessagesNotVisible: String(inFlight),
            VisibilityTimeout: String(queue.settings.visibilityTimeoutSeconds),
            MaximumMessageSize: String(queue.settings.maxMessageSizeBytes),
            MessageRetentionPeriod: String(queue.settings.retentionSeconds),
            ...(queue.settings.redrive && {
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: queue.settings.redrive.deadLetters.settings.arn,
                maxReceiveCount: queue.settings.redrive.maxReceiveCount,
              }),
            }),
          },
        };
      }
      default:
        throw new SqsError(
          400,
          "com.amazonaws.sqs#UnsupportedOperation",
          "AWS.SimpleQueueService.UnsupportedOperation",
          `The local SQS serves SendMessage, SendMessageBatch, ReceiveMessage, DeleteMessage, GetQueueUrl and GetQueueAttributes, not ${operation || "(no X-Amz-Target)"}.`,
        );
    }
  }

  const port = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => closeServer(server),
  };
}

function answer(response: ServerResponse, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(200, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
  });
  response.end(text);
}

function answerError(response: ServerResponse, error: SqsError) {
  if (response.headersSent) return void response.destroy();
  const text = JSON.stringify({ __type: error.type, message: error.message });
  response.writeHead(error.status, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
    "x-amzn-query-error": `${error.code};${error.status >= 500 ? "Receiver" : "Sender"}`,
  });
  response.end(text);
}

/**
 * The one piece of handler plumbing: the app built once per cold start,
 * Powertools logging and metrics, and the mapping of core's errors at each
 * edge (WebSocket -> error frame, HTTP -> status + JSON error, stream -> batch
 * response). Handlers only adapt an AWS event to a use case.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { appFromEnvironment, type App } from "@pushgate/core/app";
import { PushgateError, isPushgateError, toHttpError } from "@pushgate/core/errors";
import { once } from "@pushgate/core/once";
import type { Log, Meter, MetricDimensions } from "@pushgate/core/ports";
import { clip } from "@pushgate/core/log-safe";
import { envVar, metricsIdentity, topology } from "@pushgate/core/topology";
import type { BatchResponse, StreamRecordIn } from "@pushgate/core/stream";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyWebsocketEventV2,
  Context,
  DynamoDBStreamEvent,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import type { Deadline } from "@pushgate/core/ports";

// POWERTOOLS_LOG_LEVEL and POWERTOOLS_METRICS_DISABLED are read by Powertools itself.
const logger = new Logger({ serviceName: "pushgate" });
const identity = metricsIdentity(topology.app, process.env[envVar.stage] ?? "local");
const metrics = new Metrics({ namespace: identity.namespace, serviceName: identity.service });
/**
 * A metric with dimensions (the topic kind) goes out as its own EMF line:
 * Powertools keeps one dimension set per flush, and the batch's other metrics
 * must keep theirs.
 */
function emit(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number, dimensions?: MetricDimensions): void {
  if (dimensions === undefined) return void metrics.addMetric(name, unit, value);
  const single = metrics.singleMetric();
  single.addDimensions({ ...dimensions });
  single.addMetric(name, unit, value);
}
const meter: Meter = {
  count: (name, value, dimensions) => emit(name, MetricUnit.Count, value, dimensions),
  milliseconds: (name, value, dimensions) => emit(name, MetricUnit.Milliseconds, value, dimensions),
};

const log: Log = {
  warn: (message, extra = {}) => logger.warn(message, extra),
  error: (message, extra = {}) => logger.error(message, extra),
};

/** Built on first invocation, kept for the container's life; a failure (bad config) is logged and retried next time. */
const app = once(() => appFromEnvironment({ log, meter }));

async function invocation<T>(context: Context, extra: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
  logger.addContext(context);
  logger.appendKeys(extra);
  try {
    return await run();
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}

/**
 * Logs what a client must not see; answers what it may. A refusal's message
 * may quote the client (a topic, an action): it is clipped, and the JSON
 * logger escapes it. An unexpected error is logged whole (stack included) but
 * never reaches the client (toErrorFrame / toHttpError answer INTERNAL).
 */
function reported(error: unknown): unknown {
  if (isPushgateError(error)) logger.info("request refused", { code: error.code, reason: clip(error.message) });
  else logger.error("request failed", error as Error);
  return error;
}

/**
 * A subscribe or `GET /snapshots` answers each topic on its own, so a refusal
 * is not an error for `reported` to see: one line per answer that refused
 * topics, with each topic and its code. A topic is client input: clipped to
 * 80 characters, as error frames quote it (a valid name is at most 70), since
 * 50 of them at the usual 200 would make one line 10 KB.
 */
const QUOTED_TOPIC_CHARS = 80;
function reportRefusedTopics(answer: unknown): void {
  const refused = (answer as { refused?: { topic: string; code: string }[] } | undefined)?.refused;
  if (!Array.isArray(refused) || refused.length === 0) return;
  logger.info("topics refused", { refused: refused.map(({ topic, code }) => ({ topic: clip(topic, QUOTED_TOPIC_CHARS), code })) });
}

// ---- WebSocket -------------------------------------------------------------

/** `$connect` carries the handshake's headers, which the message event type does not declare. */
export type WsConnectEvent = APIGatewayProxyWebsocketEventV2 & { headers?: Record<string, string | undefined> };
export type WsResult = { statusCode: number; headers?: Record<string, string>; body?: string };

export const header = (headers: Record<string, string | undefined> | undefined, name: string) =>
  Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];

/** A `$connect`/`$disconnect` route: the answer is a status (and headers), a refusal its HTTP status. */
export const wsLifecycle =
  (run: (event: WsConnectEvent, app: App) => Promise<WsResult>) =>
  (event: WsConnectEvent, context: Context): Promise<WsResult> =>
    invocation(context, { connectionId: event.requestContext.connectionId }, async () => {
      try {
        return await run(event, app());
      } catch (error) {
        const { status, body } = toHttpError(reported(error));
        return { statusCode: status, body: JSON.stringify(body) };
      }
    });

/**
 * Every message route (subscribe, unsubscribe, ping, $default): core rate
 * limits, parses and runs the frame and answers one frame as the route
 * response (none when it closed the connection). A bad frame gets its error
 * frame and the connection stays open.
 */
export const wsMessage = (event: APIGatewayProxyWebsocketEventV2, context: Context): Promise<WsResult> =>
  invocation(context, { connectionId: event.requestContext.connectionId, routeKey: event.requestContext.routeKey }, async () => {
    const text = event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString("utf8") : (event.body ?? "");
    const { reply, problem, closed } = await app().handleMessage(event.requestContext.connectionId, text);
    if (problem !== undefined) reported(problem);
    reportRefusedTopics(reply);
    if (closed) logger.warn("connection closed for abuse", { reason: closed });
    return reply ? { statusCode: 200, body: JSON.stringify(reply) } : { statusCode: 200 };
  });

// ---- HTTP API (payload v2) -------------------------------------------------

const MAX_BODY_BYTES = 16 * 1024;

export interface HttpRequest {
  header(name: string): string | undefined;
  path(name: string): string | undefined;
  query(name: string): string | undefined;
  /** The caller's address as API Gateway saw it (the TCP peer; `X-Forwarded-For` is the caller's to forge). */
  sourceIp(): string;
  /** The JSON body (undefined when empty); BAD_REQUEST when it is not JSON, TOO_LARGE over 16 KB. */
  json(): unknown;
}

export const httpRoute =
  (run: (request: HttpRequest, app: App) => Promise<unknown>, okStatus = 200) =>
  (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyResultV2> =>
    invocation(context, { routeKey: event.routeKey }, async () => {
      const respond = (statusCode: number, body: unknown, headers: Record<string, string> = {}) => ({
        statusCode,
        headers: { ...headers, "content-type": "application/json", "cache-control": "no-store" },
        body: JSON.stringify(body),
      });
      try {
        const answer = await run(httpRequest(event), app());
        reportRefusedTopics(answer);
        return respond(okStatus, answer);
      } catch (error) {
        const { status, body, headers } = toHttpError(reported(error));
        return respond(status, body, headers);
      }
    });

function httpRequest(event: APIGatewayProxyEventV2): HttpRequest {
  return {
    header: (name) => header(event.headers, name.toLowerCase()),
    path: (name) => event.pathParameters?.[name],
    query: (name) => event.queryStringParameters?.[name],
    sourceIp: () => event.requestContext.http.sourceIp,
    json() {
      const text = event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString("utf8") : (event.body ?? "");
      if (Buffer.byteLength(text, "utf8") > MAX_BODY_BYTES) throw new PushgateError("TOO_LARGE", `body is over ${MAX_BODY_BYTES} bytes`);
      if (text.trim() === "") return undefined;
      try {
        return JSON.parse(text);
      } catch {
        throw new PushgateError("BAD_REQUEST", "body is not JSON; send a JSON object with content-type application/json");
      }
    },
  };
}

// ---- DynamoDB stream consumers ---------------------------------------------

/** Lambda's own count of the time left, so core stops before the timeout rather than being killed mid-push. */
const deadlineOf = (context: Context): Deadline => ({ remainingMs: () => context.getRemainingTimeInMillis() });

/** A consumer with ReportBatchItemFailures; throws only when the whole batch failed. */
export const streamConsumer =
  (run: (records: StreamRecordIn[], app: App, deadline: Deadline) => Promise<BatchResponse>) =>
  (event: DynamoDBStreamEvent, context: Context): Promise<BatchResponse> =>
    invocation(context, { records: event.Records.length }, () => run(event.Records, app(), deadlineOf(context)));

// ---- SQS queue consumers ------------------------------------------------------

/** A queue consumer with ReportBatchItemFailures: the failed messages come back after the visibility timeout, then go to the DLQ. */
export const queueConsumer =
  (run: (messages: { id: string; body: string }[], app: App, deadline: Deadline) => Promise<string[]>) =>
  (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    invocation(context, { messages: event.Records.length }, async () => {
      const messages = event.Records.map((record) => ({ id: record.messageId, body: record.body }));
      const failed = await run(messages, app(), deadlineOf(context));
      return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
    });

// ---- Scheduled (EventBridge rule / SST Cron) --------------------------------

/** A function on a schedule (topology `schedules`); a failure is logged and thrown, so the invocation shows as failed. */
export const scheduled =
  <T>(run: (app: App) => Promise<T>) =>
  (event: { time?: string }, context: Context): Promise<T> =>
    invocation(context, { scheduledAt: event.time }, async () => {
      try {
        return await run(app());
      } catch (error) {
        logger.error("scheduled run failed", error as Error);
        throw error;
      }
    });

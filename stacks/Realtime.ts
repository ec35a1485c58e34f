import { Duration } from "aws-cdk-lib/core";
import { StartingPosition } from "aws-cdk-lib/aws-lambda";
import { SqsDlq, SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { Topic } from "aws-cdk-lib/aws-sns";
import { Stack as CdkStack } from "aws-cdk-lib/core";
// biome-ignore lint/suspicious/noShadowRestrictedNames: SST names its Lambda construct Function; this file never needs the global.
import { Config, Cron, use, type Function, type StackContext } from "sst/constructs";
import { loadConfig, ssmSecretPaths } from "@pushgate/core/config";
import { envVar, metricsIdentity, physicalName, type BucketName, type QueueName, type SecretName } from "@pushgate/core/topology";
import { canaryAlarms, consumerAlarms, functionAlarms, queueConsumerAlarms } from "./alarms";
import { operationsDashboard } from "./dashboard";
import { declared, lookup } from "./declared";
import { functionFromDecl, type Grantables } from "./functions";
import { Gateway } from "./Gateway";
import { constructIdPart } from "./names";
import { Storage } from "./Storage";

/** How long a dead-lettered stream record is kept for replay: SQS's maximum. */
const deadLetterRetention = Duration.days(14);

/**
 * Every handler: the WebSocket routes, the HTTP routes, the stream consumers
 * and the schedules, each walked from the topology, with its grants and alarms.
 *
 * The consumers are added here, from the stack that attaches the WebSocket
 * routes, with `table.addConsumers(stack, ...)`: created in the table's stack
 * they would need the API and make the stacks depend on each other in a cycle.
 */
export function Realtime({ stack, app }: StackContext) {
  const { websocket, http, managementEndpoint } = use(Gateway);
  const { tables, buckets } = use(Storage);

  const alerts = new Topic(stack, "alerts", { topicName: physicalName(declared.app, app.stage, "alerts"), enforceSSL: true });

  // Values are set with `npx sst secrets set NAME value` (SSM), never in code.
  const secrets = Object.fromEntries(declared.secrets.map((name) => [name, new Config.Secret(stack, name)]));
  const arn = (service: string, resource: string) =>
    CdkStack.of(stack).formatArn({ service, resource, region: app.region, account: app.account });
  const queues = taskQueues(stack, app.stage);
  const grantables: Grantables = {
    tables,
    secrets,
    arns: {
      table: (name) => lookup(tables, name, "table").tableArn,
      bucket: (name) => lookup(buckets, name, "bucket").bucketArn,
      secretParameters: (name) =>
        ssmSecretPaths({ app: app.name, stage: app.stage }, name as SecretName).map((path) => arn("ssm", `parameter${path}`)),
      connections: `${arn("execute-api", websocket.cdk.webSocketApi.apiId)}/${websocket.cdk.webSocketStage.stageName}/*/@connections/*`,
      queue: (name) => lookup(queues, name, "queue").queueArn,
    },
    environment: {
      ...stageLimits(app.region),
      [envVar.stage]: app.stage,
      [envVar.managementEndpoint]: managementEndpoint,
      [envVar.websocketUrl]: websocket.url,
      ...Object.fromEntries(Object.entries(buckets).map(([name, bucket]) => [envVar.bucket(name as BucketName), bucket.bucketName])),
      ...Object.fromEntries(Object.entries(queues).map(([name, queue]) => [envVar.queue(name as QueueName), queue.queueUrl])),
    },
  };

  // Collected for the dashboard as they are made.
  const functions: Record<string, Function> = {};
  const consumers: Record<string, { fn: Function; deadLetters: Queue }> = {};

  for (const [routeKey, route] of Object.entries(declared.websocket.routes)) {
    const id = `ws${constructIdPart(routeKey)}`;
    const fn = functionFromDecl(stack, id, route.function, grantables);
    // returnResponse makes CDK add the `$default` route response and set the
    // route's RouteResponseSelectionExpression, so the handler's body reaches the caller.
    websocket.addRoutes(stack, { [routeKey]: { function: fn, returnResponse: route.routeResponse } });
    functionAlarms(stack, id, fn, alerts);
    functions[id] = fn;
  }

  for (const [routeKey, route] of Object.entries(declared.http.routes)) {
    const id = `http${constructIdPart(routeKey)}`;
    const fn = functionFromDecl(stack, id, route.function, grantables);
    http.addRoutes(stack, { [routeKey]: { function: fn } });
    functionAlarms(stack, id, fn, alerts);
    functions[id] = fn;
  }

  for (const [name, consumer] of Object.entries(declared.consumers)) {
    const fn = functionFromDecl(stack, name, consumer.function, grantables, { consumes: consumer.table });
    // One queue per consumer, so a dead letter says which consumer gave up.
    const deadLetters = new Queue(stack, `${name}DeadLetters`, {
      queueName: physicalName(declared.app, app.stage, `${name}-dead-letters`),
      retentionPeriod: deadLetterRetention,
      enforceSSL: true,
    });
    lookup(tables, consumer.table, "table").addConsumers(stack, {
      [name]: {
        function: fn,
        // Topology filters are already Lambda filter patterns; SST JSON-encodes each.
        filters: consumer.filters,
        cdk: {
          eventSource: {
            startingPosition: StartingPosition[consumer.startingPosition],
            batchSize: consumer.batchSize,
            maxBatchingWindow: Duration.seconds(consumer.maxBatchingWindowSeconds),
            bisectBatchOnError: consumer.bisectBatchOnError,
            reportBatchItemFailures: consumer.reportBatchItemFailures,
            retryAttempts: consumer.retryAttempts,
            maxRecordAge: Duration.seconds(consumer.maxRecordAgeSeconds),
            parallelizationFactor: consumer.parallelizationFactor,
            onFailure: new SqsDlq(deadLetters),
          },
        },
      },
    });
    functionAlarms(stack, name, fn, alerts);
    consumerAlarms(stack, name, fn, deadLetters, alerts);
    functions[name] = fn;
    consumers[name] = { fn, deadLetters };
  }

  // Queue consumers: an SQS event source mapping with partial batch responses; the queue's redrive policy is its DLQ.
  for (const [name, decl] of Object.entries(declared.queues ?? {})) {
    const id = `${name}Consumer`;
    const queue = lookup(queues, name, "queue");
    const fn = functionFromDecl(stack, id, decl.function, grantables, { consumesQueue: name });
    fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize: decl.batchSize,
        maxBatchingWindow: Duration.seconds(decl.maxBatchingWindowSeconds),
        maxConcurrency: decl.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    functionAlarms(stack, id, fn, alerts);
    queueConsumerAlarms(stack, id, queue, queue.deadLetterQueue!.queue, alerts);
    functions[id] = fn;
  }

  // EventBridge rules (SST Cron); the local cloud's scheduler runs the same functions on the same rates.
  for (const [name, schedule] of Object.entries(declared.schedules ?? {})) {
    const fn = functionFromDecl(stack, name, schedule.function, grantables);
    const rate = schedule.rateMinutes === 1 ? "rate(1 minute)" : (`rate(${schedule.rateMinutes} minutes)` as const);
    new Cron(stack, `${name}Schedule`, { schedule: rate, job: fn });
    functionAlarms(stack, name, fn, alerts);
    functions[name] = fn;
  }

  // What the functions emit (edge.ts) is read back here under the same namespace and per-stage service.
  const identity = metricsIdentity(declared.app, app.stage);
  canaryAlarms(stack, identity, alerts);
  operationsDashboard(stack, { name: physicalName(declared.app, app.stage, "operations"), identity, functions, consumers });

  stack.addOutputs({ AlertsTopicArn: alerts.topicArn });
}

/**
 * The queues of topology `queues`, each with its dead-letter queue (redrive
 * after maxReceiveCount receives), made before the functions so that their
 * grants and environment can name them.
 */
function taskQueues(stack: StackContext["stack"], stage: string): Record<string, Queue> {
  const queues: Record<string, Queue> = {};
  for (const [name, decl] of Object.entries(declared.queues ?? {})) {
    const deadLetters = new Queue(stack, `${name}DeadLetters`, {
      queueName: physicalName(declared.app, stage, `${name}-dead-letters`),
      retentionPeriod: deadLetterRetention,
      enforceSSL: true,
    });
    queues[name] = new Queue(stack, `${name}Queue`, {
      queueName: physicalName(declared.app, stage, name),
      visibilityTimeout: Duration.seconds(decl.visibilityTimeoutSeconds),
      maxMessageSizeBytes: decl.maxMessageSizeBytes,
      retentionPeriod: Duration.seconds(decl.retentionSeconds),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: decl.maxReceiveCount },
      enforceSSL: true,
    });
  }
  return queues;
}

/** The variables that set a stage's identity, sessions and quotas (core/src/config.ts has their defaults and ranges). */
const STAGE_LIMIT =
  /^PUSHGATE_(QUOTA_[A-Z_]+|FANOUT_(SPLIT_ABOVE|RATE_PER_SECOND|RESERVE_MS)|SUBSCRIPTION_SHARDS[A-Z_]*|SESSION_MAX_SECONDS|TOKEN_TTL_SECONDS|TOKEN_RENEWAL_GRACE_SECONDS|OIDC_ISSUER|OIDC_AUDIENCE|OIDC_JWKS_URL|ANONYMOUS_SESSIONS)$/;

/**
 * The trusted OIDC issuer, session lifetimes and quotas are set per stage
 * from the deploying shell (`PUSHGATE_QUOTA_JOBS_PER_FAN=20 npx sst deploy
 * --stage prod`, docs/deploy.md) and handed to every function. They are
 * validated here, with the functions' own rules, so a bad value fails the
 * deploy instead of every cold start.
 */
export function stageLimits(region: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const limits = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => STAGE_LIMIT.test(entry[0]) && entry[1] !== undefined),
  );
  loadConfig({ ...limits, AWS_REGION: region });
  return limits;
}

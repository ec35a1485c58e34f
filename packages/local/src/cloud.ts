/**
 * The local cloud: everything pushgate runs on AWS, on one machine, built from
 * the same topology the SST stacks deploy.
 *
 *   DynamoDB Local + S3 emulator        (started together, each behind IAM)
 *   -> tables from topology.tables      (idempotent: persisted data is kept)
 *   -> SSM with the secrets             (at SST's parameter paths)
 *   -> one role per function            (iam-policy.ts from its grants; its own credentials)
 *   -> handlers' environment            (what SST and Lambda would set on AWS)
 *   -> WebSocket gateway, HTTP API      (routes from topology.websocket / .http)
 *   -> one stream poller per consumer   (topology.consumers)
 *   -> SQS queues and their consumers   (topology.queues; SigV4 + IAM like the others)
 *   -> the scheduler                    (topology.schedules, EventBridge rules on AWS)
 *
 * `stop()` undoes all of it, in reverse, and leaves no process or port behind.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  browserApiCors,
  envVar,
  physicalName,
  topology as pushgateTopology,
  type FunctionDecl,
  type TopologyShape,
} from "@pushgate/core/topology";
import { ssmSecretPaths } from "@pushgate/core/config";
import { browserEndpoints } from "@pushgate/core/wire";
import {
  createTables,
  localDynamoDbClientConfig,
  ServiceDeletions,
  startDynamoDbLocal,
  startTtlSweeper,
  type DynamoDbLocal,
} from "./dynamodb";
import { startDynamoDbFront } from "./dynamodb/iam-front";
import { AccessControl } from "./iam/access-control";
import { grantHintFor, queueArn, type LocalNames } from "./iam/arns";
import { managementAuthorizer } from "./iam/execute-api";
import { createFunctionRoles, type FunctionRoles } from "./iam/function-roles";
import { startLocalSsm } from "./ssm/ssm-server";
import { startWebSocketGateway, type GatewayLimits, type WebSocketGateway } from "./gateway";
import { startHttpApi, type HttpApi } from "./http-api";
import { createHandlerLoader, createInvoker, type Invoke } from "./invoke";
import { RouteFaults } from "./invoke/route-faults";
import { quietLog, type Log } from "./log";
import { startS3 } from "./s3";
import { startScheduler } from "./scheduler";
import { LocalQueue, type QueueSettings } from "./sqs/queue-store";
import { startQueueConsumer, type QueueConsumer } from "./sqs/queue-consumer";
import { startLocalSqs } from "./sqs/sqs-server";
import {
  FileOnFailureDestination,
  MemoryOnFailureDestination,
  startStreamConsumer,
  type OnFailureDestination,
  type StreamConsumer,
} from "./streams";

/** The repository root, where topology handler paths start. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface LocalCloudOptions {
  /** Default: pushgate's own topology. Tests may pass a smaller one. */
  topology?: TopologyShape;
  /** Default "local". Part of every physical name and of the WebSocket URL. */
  stage?: string;
  /**
   * Keep data between runs under `<stateDir>/data` (DynamoDB, S3 objects) and
   * write `<stateDir>/endpoints.json`; what `npm start` does. Default false:
   * everything in memory, nothing written but dead letters kept in memory.
   */
  persist?: boolean;
  /** Default `<repo>/.pushgate`. */
  stateDir?: string;
  /** Rebuild a handler when its source (or core) changes, like `sst dev`. Default false. */
  hotReload?: boolean;
  /** Called with e.g. "ws/subscribe" after a hot reload. */
  onReload?: (handler: string) => void;
  /**
   * The interface every service listens on. Default 127.0.0.1: DynamoDB Local
   * checks no credentials, so nothing is reachable from the network unless asked.
   */
  host?: string;
  /** Fixed ports (default: free ones). The gateway keeps its port across restartGateway(). */
  ports?: { websocket?: number; http?: number; dynamodb?: number; s3?: number };
  gatewayLimits?: Partial<GatewayLimits>;
  /**
   * Processes that hold the WebSocket gateway's sockets. Default 1: this
   * one. More is for scale runs past one process's open-files limit (the
   * big-game bench): the sockets live in child processes, this one keeps the
   * port, $connect, routes, $disconnect and @connections (docs/local-cloud.md).
   */
  gatewayProcesses?: number;
  /** Browser origins allowed by the bucket's CORS rules. Default `*`. */
  allowedOrigins?: string[];
  /** Secret values; missing ones are generated (and, with persist, kept in `<stateDir>/secrets.json`). */
  secrets?: Record<string, string>;
  /** Extra environment for the handlers, e.g. POWERTOOLS_LOG_LEVEL or PUSHGATE_SUBSCRIPTION_SHARDS. */
  environment?: Record<string, string>;
  /** Stream polling interval. Default 50 ms. */
  pollIntervalMs?: number;
  /** How long DynamoDB Local may take to answer at start. Default 30 s; a bench on a loaded shared machine needs more. */
  dynamodbReadyTimeoutMs?: number;
  /**
   * Pause between sweeps of the TTL sweeper, which deletes items past their
   * `ttlAttribute` as DynamoDB does (AWS: within about 48 h). Default 5,000 ms,
   * so an expired item is gone within about 5 s; 0 turns the sweeper off.
   */
  ttlSweepIntervalMs?: number;
  log?: Log;
}

/** What `.pushgate/endpoints.json` holds: the keys are a contract with tools and tests. */
export interface Endpoints {
  websocketUrl: string;
  managementEndpoint: string;
  httpApiUrl: string | null;
  dynamodbEndpoint: string;
  s3Endpoint: string;
  ssmEndpoint: string;
  sqsEndpoint: string;
  region: string;
  tables: Record<string, string>;
  /** Queue URLs by logical name, and `<name>DeadLetters` for each one's dead-letter queue. */
  queues: Record<string, string>;
  buckets: Record<string, string>;
  webUrl: string | null;
  operatorKey: string;
  /** Full-access credentials for tools, seed data, benchmarks and tests; functions each get their own, narrower ones. */
  adminCredentials: { accessKeyId: string; secretAccessKey: string };
}

export interface LocalCloud {
  endpoints: Endpoints;
  secrets: Record<string, string>;
  /** What every function's environment shares (stage, Management API endpoint, bucket names, Powertools settings); never set on this process. */
  environment: Record<string, string>;
  /** One function's whole environment, its sandbox's: `environment` plus its own credentials, endpoints and granted tables. */
  environmentFor(fn: FunctionDecl): Record<string, string>;
  /**
   * Full-access credentials for tools and tests that call the local services
   * themselves (seed data, assertions on tables, bench); the same pair as
   * `endpoints.adminCredentials`.
   */
  adminCredentials: { accessKeyId: string; secretAccessKey: string };
  /**
   * Resolves when every stream consumer has delivered what was written before
   * the call, and then every queue is empty with no invocation running.
   */
  drained(timeoutMs?: number): Promise<void>;
  /** Discarded stream records by consumer (in memory unless persist: then also in `<stateDir>/dead-letters`). */
  deadLetters: MemoryOnFailureDestination;
  /** Stops the WebSocket gateway (clients see 1001) and starts it again on the same port. */
  stopGateway(): Promise<void>;
  /** `limits` overrides the cloud's gateway limits for this run of it (fault tests: `managementRatePerSecond`). */
  startGateway(limits?: Partial<GatewayLimits>): Promise<void>;
  /**
   * Kills DynamoDB Local (SIGKILL, as a crash) and starts it again on the same
   * port with the same data; needs `persist`. Resolves once it answers again.
   * Stream pollers and handlers ride it out with their own retries.
   * `readyTimeoutMs` (default 30 s) bounds the wait for the new JVM: a busy machine needs longer.
   */
  restartDynamoDb(options?: { readyTimeoutMs?: number }): Promise<void>;
  /**
   * Fault injection: the next `times` invocations of a route (a WebSocket route
   * key such as `subscribe`, or an HTTP one such as `GET /snapshots`) run, and
   * then their answer is lost as an integration timeout's: the client gets the
   * gateway's `Internal server error`. 0 clears it.
   */
  timeOutRoute(routeKey: string, times: number): void;
  /**
   * Counters since start, for `npm start`'s live status: open sockets, records
   * the fan-out consumers (those that may post to connections) published,
   * pushes the gateway handed to a socket. Deliveries restart at 0 with the gateway.
   */
  counters(): LocalCounters;
  /** Runs a topology schedule's function now (as its EventBridge rule would), resolving with its result. */
  runSchedule(name: string): Promise<unknown>;
  /** The java process of DynamoDB Local, for measurements. */
  dynamodbPid: number;
  /** The gateway's socket holder processes (gatewayProcesses > 1), for measurements; empty otherwise. */
  gatewayProcessIds(): number[];
  stop(): Promise<void>;
}

export interface LocalCounters {
  connections: number;
  publications: number;
  deliveries: number;
  /** Invocations of the queue consumers (fan-out tasks and their continuations). */
  queueInvocations: number;
}

const REGION = "us-east-1";
/** The account the local cloud pretends to be, in every ARN it names. */
const ACCOUNT_ID = "123456789012";
const API_ID = "local";

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const topology = options.topology ?? (pushgateTopology as unknown as TopologyShape);
  const stage = options.stage ?? "local";
  const stateDir = resolve(options.stateDir ?? join(repoRoot, ".pushgate"));
  const persist = options.persist ?? false;
  const log = options.log ?? quietLog;
  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log("error", `local cloud: stopping a service failed: ${(error as Error).message}`);
      }
    }
    cleanups.length = 0;
  };

  try {
    if (persist) mkdirSync(join(stateDir, "data"), { recursive: true });
    const bucketNames = Object.fromEntries(Object.keys(topology.buckets).map((name) => [name, physicalName(topology.app, stage, name)]));
    const names: LocalNames = {
      region: REGION,
      accountId: ACCOUNT_ID,
      app: topology.app,
      stage,
      apiId: API_ID,
      tables: Object.fromEntries(Object.keys(topology.tables).map((name) => [name, physicalName(topology.app, stage, name)])),
      buckets: bucketNames,
      queues: Object.fromEntries(Object.keys(topology.queues ?? {}).map((name) => [name, physicalName(topology.app, stage, name)])),
    };
    const accessControl = new AccessControl({ region: REGION, accountId: ACCOUNT_ID, log, grantHint: grantHintFor(names) });
    const admin = accessControl.issueOperator();

    log("info", "local cloud: starting DynamoDB Local and S3");
    // Started side by side (the JVM takes ~2 s); if one fails, the other is stopped too.
    const [dynamodbStart, s3Start] = await Promise.allSettled([
      // The jar on a loopback port of its own; callers reach it through the IAM front below.
      startDynamoDbLocal({
        ...(persist && { dataDir: join(stateDir, "data", "dynamodb"), pidFile: join(stateDir, "dynamodb.pid") }),
        ...(options.dynamodbReadyTimeoutMs !== undefined && { readyTimeoutMs: options.dynamodbReadyTimeoutMs }),
        log,
      }),
      startS3({
        accessControl,
        ...(persist ? { dataDir: join(stateDir, "data", "s3") } : { inMemory: true }),
        ...(options.ports?.s3 !== undefined && { port: options.ports.s3 }),
        ...(options.host !== undefined && { host: options.host }),
        buckets: Object.entries(topology.buckets).map(([logical, decl]) => ({
          name: bucketNames[logical]!,
          ...(decl.cors && { cors: { allowedOrigins: options.allowedOrigins ?? ["*"] } }),
        })),
        log,
      }),
    ]);
    // restartDynamoDb() replaces the process, so the cleanup stops whichever runs then.
    let dynamodb!: DynamoDbLocal; // assigned below or the start throws
    if (dynamodbStart.status === "fulfilled") {
      dynamodb = dynamodbStart.value;
      cleanups.push(() => dynamodb.stop());
    }
    if (s3Start.status === "fulfilled") cleanups.push(() => s3Start.value.stop());
    if (dynamodbStart.status === "rejected") throw dynamodbStart.reason;
    if (s3Start.status === "rejected") throw s3Start.reason;
    const s3 = s3Start.value;
    const dynamodbFront = await startDynamoDbFront({
      accessControl,
      jarPort: () => dynamodb.port,
      ...(options.ports?.dynamodb !== undefined && { port: options.ports.dynamodb }),
      ...(options.host !== undefined && { host: options.host }),
      log,
    });
    cleanups.push(() => dynamodbFront.stop());

    // The local cloud provisions its own tables, as CloudFormation would: straight on the jar.
    const { tableNames, streamArns } = await createTables({ endpoint: dynamodb.endpoint, topology, stage, log });
    const secrets = resolveSecrets(topology.secrets, options.secrets ?? {}, persist ? join(stateDir, "secrets.json") : undefined);
    const ssm = await startLocalSsm({
      accessControl,
      ...(options.host !== undefined && { host: options.host }),
      parameters: Object.fromEntries(
        Object.entries(secrets).map(([name, value]) => [ssmSecretPaths({ app: topology.app, stage }, name as never)[0], value]),
      ),
      log,
    });
    cleanups.push(() => ssm.stop());

    // Queues before the functions: their URLs are part of every function's environment.
    const localQueues = new Map<string, LocalQueue>();
    const sqs = await startLocalSqs({
      accessControl,
      queues: localQueues,
      ...(options.host !== undefined && { host: options.host }),
      log,
    });
    cleanups.push(() => sqs.stop());
    const queueUrls: Record<string, string> = {};
    const queueOf = (logical: string, physical: string, decl: Omit<QueueSettings, "name" | "arn" | "url">) => {
      const url = `${sqs.endpoint}/${ACCOUNT_ID}/${physical}`;
      const queue = new LocalQueue({ ...decl, name: physical, arn: queueArn(REGION, ACCOUNT_ID, physical), url }, Date.now);
      localQueues.set(physical, queue);
      queueUrls[logical] = url;
      return queue;
    };
    for (const [logical, decl] of Object.entries(topology.queues ?? {})) {
      const physical = names.queues![logical]!;
      // SQS's maximum retention, as the stacks keep dead letters for replay.
      const deadLetters = queueOf(`${logical}DeadLetters`, `${physical}-dead-letters`, {
        visibilityTimeoutSeconds: 30,
        maxMessageSizeBytes: decl.maxMessageSizeBytes,
        retentionSeconds: 14 * 24 * 3600,
      });
      queueOf(logical, physical, {
        visibilityTimeoutSeconds: decl.visibilityTimeoutSeconds,
        maxMessageSizeBytes: decl.maxMessageSizeBytes,
        retentionSeconds: decl.retentionSeconds,
        redrive: { deadLetters, maxReceiveCount: decl.maxReceiveCount },
      });
    }

    // The gateway's port must be known before the handlers' environment (the
    // Management API endpoint), so reserve it by starting the gateway first;
    // a function's sandbox (and its environment) is made on its first invocation.
    const loader = createHandlerLoader({
      rootDir: repoRoot,
      // Hot-reload builds are this cloud's own; other builds go to the shared cache.
      ...(options.hotReload && { buildDir: join(stateDir, "build") }),
      watch: options.hotReload ?? false,
      log,
      ...(options.onReload && { onReload: options.onReload }),
    });
    cleanups.push(() => loader.close());
    // Set once the endpoints are known (below); sandboxes are made on first invocation, after that.
    let roles: FunctionRoles | undefined;
    const invoker = createInvoker({
      bundler: loader,
      environmentFor: (fn) => {
        if (!roles)
          throw new Error("a function was invoked before the local cloud finished starting; wait for startLocalCloud() to resolve");
        return roles.environmentFor(fn);
      },
      sandboxesPerFunction: sandboxesPerFunction(topology),
      log,
    });
    cleanups.push(() => invoker.close());
    // Each failure is logged with the route or consumer that invoked the function.
    const routeNames = new Map<FunctionDecl, string>([
      ...Object.entries(topology.websocket.routes).map(([key, route]) => [route.function, key] as const),
      ...Object.entries(topology.http.routes).map(([key, route]) => [route.function, key] as const),
    ]);
    const routeFaults = new RouteFaults(log);
    const invoke: Invoke = routeFaults.wrap((fn, event, name) => invoker(fn, event, name ?? routeNames.get(fn)));

    let gateway: WebSocketGateway | undefined;
    const gatewayOptions = {
      stage,
      apiId: API_ID,
      authorizeManagement: managementAuthorizer(accessControl, API_ID, stage),
      routes: topology.websocket.routes,
      invoke,
      log,
      ...(options.host !== undefined && { host: options.host }),
      ...(options.gatewayLimits && { limits: options.gatewayLimits }),
      ...(options.gatewayProcesses !== undefined && { socketProcesses: options.gatewayProcesses }),
    };
    gateway = await startWebSocketGateway({ ...gatewayOptions, port: options.ports?.websocket ?? 0 });
    const gatewayPort = gateway.port;
    cleanups.push(() => gateway?.stop());

    const shared: Record<string, string> = {
      [envVar.managementEndpoint]: gateway.managementEndpoint,
      [envVar.websocketUrl]: gateway.url,
      [envVar.stage]: stage,
      POWERTOOLS_SERVICE_NAME: topology.app,
      POWERTOOLS_METRICS_NAMESPACE: topology.app,
      POWERTOOLS_LOG_LEVEL: "WARN",
      // EMF lines every few seconds drown the terminal; pass POWERTOOLS_METRICS_DISABLED=false to see them.
      POWERTOOLS_METRICS_DISABLED: "true",
      ...Object.fromEntries(Object.entries(bucketNames).map(([logical, name]) => [envVar.bucket(logical as never), name])),
      ...Object.fromEntries(Object.keys(topology.queues ?? {}).map((logical) => [envVar.queue(logical as never), queueUrls[logical]!])),
      ...options.environment,
    };
    roles = createFunctionRoles(
      topology,
      names,
      accessControl,
      { dynamodb: dynamodbFront.endpoint, s3: s3.endpoint, ssm: ssm.endpoint, sqs: sqs.endpoint },
      shared,
    );

    const httpApi: HttpApi = await startHttpApi({
      routes: topology.http.routes,
      invoke,
      log,
      // AWS's CORS, not the emulator's permissive default: a browser call AWS would refuse must fail here too.
      cors: browserApiCors,
      ...(options.ports?.http !== undefined && { port: options.ports.http }),
      ...(options.host !== undefined && { host: options.host }),
    });
    cleanups.push(() => httpApi.stop());

    const serviceDeletions = new ServiceDeletions();
    const deadLetters = new MemoryOnFailureDestination();
    const onFailure: OnFailureDestination = persist
      ? fanOut(deadLetters, new FileOnFailureDestination(join(stateDir, "dead-letters")))
      : deadLetters;
    const consumers: StreamConsumer[] = [];
    // A publication is a record a fan-out consumer took: one that may post to connections.
    const fanouts: StreamConsumer[] = [];
    for (const [name, consumer] of Object.entries(topology.consumers)) {
      const streamArn = streamArns[consumer.table];
      if (!streamArn)
        throw new Error(`consumer ${name} reads table ${consumer.table}, which has no stream: set stream: true on it in topology.ts`);
      const started = await startStreamConsumer({
        endpoint: dynamodbFront.endpoint,
        credentials: roles.credentials(consumer.function),
        streamArn,
        tableName: tableNames[consumer.table]!,
        consumer,
        name,
        invoke: (event) => invoke(consumer.function, event, name),
        onFailure,
        serviceDeletions,
        ...(options.pollIntervalMs !== undefined && { pollIntervalMs: options.pollIntervalMs }),
        log,
      });
      consumers.push(started);
      if (consumer.function.grants.manageConnections) fanouts.push(started);
      cleanups.push(() => started.stop());
    }

    const queueConsumers: QueueConsumer[] = [];
    for (const [name, decl] of Object.entries(topology.queues ?? {})) {
      const started = startQueueConsumer({
        name,
        queue: localQueues.get(names.queues![name]!)!,
        decl,
        principal: accessControl.principalOf(roles.credentials(decl.function)),
        accessControl,
        invoke: (event) => invoke(decl.function, event, name),
        region: REGION,
        log,
      });
      queueConsumers.push(started);
      cleanups.push(() => started.stop());
    }

    const scheduler = startScheduler({ schedules: topology.schedules ?? {}, invoke, log, region: REGION });
    cleanups.push(() => scheduler.stop());

    // After the consumers are positioned, so they see every deletion it makes.
    // TTL is DynamoDB's own doing, so the sweeper talks to the jar directly, as createTables does.
    const ttlTables = Object.entries(topology.tables)
      .filter(([, table]) => table.ttlAttribute)
      .map(([logical, table]) => ({
        tableName: tableNames[logical]!,
        ttlAttribute: table.ttlAttribute!,
        keyNames: [table.partitionKey.name, ...(table.sortKey ? [table.sortKey.name] : [])],
      }));
    if (ttlTables.length > 0 && options.ttlSweepIntervalMs !== 0) {
      const sweeper = startTtlSweeper({
        clientConfig: localDynamoDbClientConfig(dynamodb.endpoint),
        tables: ttlTables,
        serviceDeletions,
        ...(options.ttlSweepIntervalMs !== undefined && { intervalMs: options.ttlSweepIntervalMs }),
        log,
      });
      cleanups.push(() => sweeper.stop());
    }

    const endpoints: Endpoints = {
      websocketUrl: gateway.url,
      managementEndpoint: gateway.managementEndpoint,
      httpApiUrl: httpApi.url,
      dynamodbEndpoint: dynamodbFront.endpoint,
      s3Endpoint: s3.endpoint,
      ssmEndpoint: ssm.endpoint,
      sqsEndpoint: sqs.endpoint,
      region: REGION,
      tables: tableNames,
      queues: queueUrls,
      buckets: bucketNames,
      webUrl: null,
      operatorKey: secrets.OPERATOR_KEY ?? "",
      adminCredentials: { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey },
    };

    return {
      endpoints,
      secrets,
      environment: shared,
      environmentFor: roles.environmentFor,
      adminCredentials: endpoints.adminCredentials,
      deadLetters,
      get dynamodbPid() {
        return dynamodb.pid;
      },
      runSchedule: (name) => scheduler.run(name),
      gatewayProcessIds: () => gateway?.socketProcessIds() ?? [],
      counters: () => ({
        connections: gateway?.connections().length ?? 0,
        publications: fanouts.reduce((total, consumer) => total + consumer.stats.recordsDelivered, 0),
        deliveries: gateway?.deliveries() ?? 0,
        queueInvocations: queueConsumers.reduce((total, consumer) => total + consumer.stats.invocations, 0),
      }),
      drained: async (timeoutMs) => {
        await Promise.all(consumers.map((consumer) => consumer.drained(timeoutMs === undefined ? {} : { timeoutMs })));
        // The stream consumers enqueue fan-out tasks; the tasks never write to a stream.
        await Promise.all(queueConsumers.map((consumer) => consumer.drained(timeoutMs)));
      },
      stopGateway: async () => {
        const running = gateway;
        gateway = undefined;
        await running?.stop();
      },
      startGateway: async (limits) => {
        if (gateway) return;
        const merged = { ...options.gatewayLimits, ...limits };
        gateway = await startWebSocketGateway({ ...gatewayOptions, limits: merged, port: gatewayPort });
      },
      restartDynamoDb: async (restart = {}) => {
        if (!persist) throw new Error("restartDynamoDb() keeps the data only with persist: true (and a stateDir); start the cloud with it");
        await dynamodb.kill();
        dynamodb = await startDynamoDbLocal({
          dataDir: join(stateDir, "data", "dynamodb"),
          pidFile: join(stateDir, "dynamodb.pid"),
          port: dynamodb.port,
          host: dynamodb.host,
          readyTimeoutMs: restart.readyTimeoutMs ?? options.dynamodbReadyTimeoutMs,
          log,
        });
      },
      timeOutRoute: (routeKey, times) => routeFaults.timeOut(routeKey, times),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Writes endpoints.json for tools and the benchmarks (owner-only), and browser-endpoints.json for the web dev server. */
export function writeEndpointsFile(stateDir: string, endpoints: Endpoints): string {
  const file = join(stateDir, "endpoints.json");
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
  // What `npm run dev -w packages/web` serves at /endpoints.json: the two URLs, nothing secret.
  writeFileSync(join(stateDir, "browser-endpoints.json"), `${JSON.stringify(browserEndpoints({ ...endpoints }), null, 2)}\n`);
  return file;
}

/**
 * Secrets are generated once per machine (with persist) so tokens and the
 * operator key survive a restart of `npm start`, like SST secrets survive a deploy.
 */
function resolveSecrets(names: readonly string[], given: Record<string, string>, file: string | undefined): Record<string, string> {
  const stored: Record<string, string> = file && existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  const secrets: Record<string, string> = {};
  for (const name of names) secrets[name] = given[name] ?? stored[name] ?? randomBytes(32).toString("base64url");
  if (file) writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

function fanOut(...destinations: OnFailureDestination[]): OnFailureDestination {
  return { send: async (record) => void (await Promise.all(destinations.map((destination) => destination.send(record)))) };
}

/**
 * A sandbox per invocation a queue consumer runs at once (its maxConcurrency),
 * as Lambda gives each concurrent invocation its own environment: the fan-out
 * task worker paces itself at its share of the stage's push budget, so eight
 * workers sharing one sandbox would share one share. Other functions keep one
 * sandbox (their per-instance state is caches; sharing saves memory and cold
 * starts), a difference docs/local-cloud.md lists.
 */
function sandboxesPerFunction(topology: TopologyShape): (fn: FunctionDecl) => number {
  const sizes = new Map<FunctionDecl, number>(Object.values(topology.queues ?? {}).map((decl) => [decl.function, decl.maxConcurrency]));
  return (fn) => sizes.get(fn) ?? 1;
}

/**
 * The local cloud: everything pushgate runs on AWS, on one machine, built from
 * the same topology the SST stacks deploy.
 *
 *   DynamoDB Local + S3 emulator        (started together)
 *   -> tables from topology.tables      (idempotent: persisted data is kept)
 *   -> handlers' environment            (what SST would set on AWS)
 *   -> WebSocket gateway, HTTP API      (routes from topology.websocket / .http)
 *   -> one stream poller per consumer   (topology.consumers)
 *
 * `stop()` undoes all of it, in reverse, and leaves no process or port behind.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { envVar, physicalName, topology as pushgateTopology, type FunctionDecl, type TopologyShape } from "@pushgate/core/topology";
import { createTables, startDynamoDbLocal, type DynamoDbLocal } from "./dynamodb";
import { startWebSocketGateway, type GatewayLimits, type WebSocketGateway } from "./gateway";
import { startHttpApi, type HttpApi } from "./http-api";
import { createHandlerLoader, createInvoker, type Invoke } from "./invoke";
import { quietLog, type Log } from "./log";
import { startS3, s3rverCredentials } from "./s3";
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
  /** Fixed ports (default: free ones). The gateway keeps its port across restartGateway(). */
  ports?: { websocket?: number; http?: number; dynamodb?: number; s3?: number };
  gatewayLimits?: Partial<GatewayLimits>;
  /** Browser origins allowed by the bucket's CORS rules. Default `*`. */
  allowedOrigins?: string[];
  /** Secret values; missing ones are generated (and, with persist, kept in `<stateDir>/secrets.json`). */
  secrets?: Record<string, string>;
  /** Extra environment for the handlers, e.g. POWERTOOLS_LOG_LEVEL or PUSHGATE_SUBSCRIPTION_SHARDS. */
  environment?: Record<string, string>;
  /** Stream polling interval. Default 50 ms. */
  pollIntervalMs?: number;
  log?: Log;
}

/** What `.pushgate/endpoints.json` holds: the keys are a contract with tools and tests. */
export interface Endpoints {
  websocketUrl: string;
  managementEndpoint: string;
  httpApiUrl: string | null;
  dynamodbEndpoint: string;
  s3Endpoint: string;
  region: string;
  tables: Record<string, string>;
  buckets: Record<string, string>;
  webUrl: string | null;
  operatorKey: string;
}

export interface LocalCloud {
  endpoints: Endpoints;
  secrets: Record<string, string>;
  /** The environment every function's sandbox gets (never set on this process's process.env). */
  environment: Record<string, string>;
  /**
   * Full-access credentials for tools and tests that call the local services
   * themselves (seed data, assertions on tables, bench): nothing in this
   * process's environment signs their requests any more.
   */
  adminCredentials: { accessKeyId: string; secretAccessKey: string };
  /** Resolves when every stream consumer has delivered what was written before the call. */
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
   */
  restartDynamoDb(): Promise<void>;
  /** The java process of DynamoDB Local, for measurements. */
  dynamodbPid: number;
  stop(): Promise<void>;
}

const REGION = "us-east-1";

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

    log("info", "local cloud: starting DynamoDB Local and S3");
    // Started side by side (the JVM takes ~2 s); if one fails, the other is stopped too.
    const [dynamodbStart, s3Start] = await Promise.allSettled([
      startDynamoDbLocal({
        ...(persist && { dataDir: join(stateDir, "data", "dynamodb"), pidFile: join(stateDir, "dynamodb.pid") }),
        ...(options.ports?.dynamodb !== undefined && { port: options.ports.dynamodb }),
        log,
      }),
      startS3({
        ...(persist ? { dataDir: join(stateDir, "data", "s3") } : { inMemory: true }),
        ...(options.ports?.s3 !== undefined && { port: options.ports.s3 }),
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

    const { tableNames, streamArns } = await createTables({ endpoint: dynamodb.endpoint, topology, stage, log });
    const secrets = resolveSecrets(topology.secrets, options.secrets ?? {}, persist ? join(stateDir, "secrets.json") : undefined);

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
    let environment: Record<string, string> | undefined;
    const invoker = createInvoker({
      bundler: loader,
      environmentFor: () => {
        if (!environment) throw new Error("a function was invoked before the local cloud finished starting; wait for startLocalCloud() to resolve");
        return environment;
      },
      log,
    });
    cleanups.push(() => invoker.close());
    // Each failure is logged with the route or consumer that invoked the function.
    const routeNames = new Map<FunctionDecl, string>([
      ...Object.entries(topology.websocket.routes).map(([key, route]) => [route.function, key] as const),
      ...Object.entries(topology.http.routes).map(([key, route]) => [route.function, key] as const),
    ]);
    const invoke: Invoke = (fn, event, name) => invoker(fn, event, name ?? routeNames.get(fn));

    let gateway: WebSocketGateway | undefined;
    const gatewayOptions = {
      stage,
      apiId: "local",
      routes: topology.websocket.routes,
      invoke,
      log,
      ...(options.gatewayLimits && { limits: options.gatewayLimits }),
    };
    gateway = await startWebSocketGateway({ ...gatewayOptions, port: options.ports?.websocket ?? 0 });
    const gatewayPort = gateway.port;
    cleanups.push(() => gateway?.stop());

    environment = {
      AWS_REGION: REGION,
      // s3rver checks signatures against its one key pair; DynamoDB Local and the gateway accept any.
      AWS_ACCESS_KEY_ID: s3rverCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3rverCredentials.secretAccessKey,
      PUSHGATE_DYNAMODB_ENDPOINT: dynamodb.endpoint,
      PUSHGATE_S3_ENDPOINT: s3.endpoint,
      [envVar.managementEndpoint]: gateway.managementEndpoint,
      [envVar.stage]: stage,
      POWERTOOLS_SERVICE_NAME: topology.app,
      POWERTOOLS_METRICS_NAMESPACE: topology.app,
      POWERTOOLS_LOG_LEVEL: "WARN",
      // EMF lines every few seconds drown the terminal; pass POWERTOOLS_METRICS_DISABLED=false to see them.
      POWERTOOLS_METRICS_DISABLED: "true",
      ...Object.fromEntries(Object.entries(tableNames).map(([logical, name]) => [envVar.table(logical as never), name])),
      ...Object.fromEntries(Object.entries(bucketNames).map(([logical, name]) => [envVar.bucket(logical as never), name])),
      ...Object.fromEntries(Object.entries(secrets).map(([name, value]) => [`SST_Secret_value_${name}`, value])),
      ...options.environment,
    };
    const httpApi: HttpApi = await startHttpApi({
      routes: topology.http.routes,
      invoke,
      log,
      ...(options.ports?.http !== undefined && { port: options.ports.http }),
    });
    cleanups.push(() => httpApi.stop());

    const deadLetters = new MemoryOnFailureDestination();
    const onFailure: OnFailureDestination = persist ? fanOut(deadLetters, new FileOnFailureDestination(join(stateDir, "dead-letters"))) : deadLetters;
    const consumers: StreamConsumer[] = [];
    for (const [name, consumer] of Object.entries(topology.consumers)) {
      const streamArn = streamArns[consumer.table];
      if (!streamArn) throw new Error(`consumer ${name} reads table ${consumer.table}, which has no stream: set stream: true on it in topology.ts`);
      const started = await startStreamConsumer({
        endpoint: dynamodb.endpoint,
        streamArn,
        tableName: tableNames[consumer.table]!,
        consumer,
        name,
        invoke: (event) => invoke(consumer.function, event, name),
        onFailure,
        ...(options.pollIntervalMs !== undefined && { pollIntervalMs: options.pollIntervalMs }),
        log,
      });
      consumers.push(started);
      cleanups.push(() => started.stop());
    }

    const endpoints: Endpoints = {
      websocketUrl: gateway.url,
      managementEndpoint: gateway.managementEndpoint,
      httpApiUrl: httpApi.url,
      dynamodbEndpoint: dynamodb.endpoint,
      s3Endpoint: s3.endpoint,
      region: REGION,
      tables: tableNames,
      buckets: bucketNames,
      webUrl: null,
      operatorKey: secrets.OPERATOR_KEY ?? "",
    };

    return {
      endpoints,
      secrets,
      environment: environment!,
      adminCredentials: { ...s3rverCredentials },
      deadLetters,
      get dynamodbPid() {
        return dynamodb.pid;
      },
      drained: async (timeoutMs) => {
        await Promise.all(consumers.map((consumer) => consumer.drained(timeoutMs === undefined ? {} : { timeoutMs })));
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
      restartDynamoDb: async () => {
        if (!persist) throw new Error("restartDynamoDb() keeps the data only with persist: true (and a stateDir); start the cloud with it");
        await dynamodb.kill();
        dynamodb = await startDynamoDbLocal({
          dataDir: join(stateDir, "data", "dynamodb"),
          pidFile: join(stateDir, "dynamodb.pid"),
          port: dynamodb.port,
          log,
        });
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Writes endpoints.json for tools, the web app and the benchmarks. */
export function writeEndpointsFile(stateDir: string, endpoints: Endpoints): string {
  const file = join(stateDir, "endpoints.json");
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, JSON.stringify(endpoints, null, 2) + "\n", { mode: 0o600 });
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
  if (file) writeFileSync(file, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
  return secrets;
}

function fanOut(...destinations: OnFailureDestination[]): OnFailureDestination {
  return { send: async (record) => void (await Promise.all(destinations.map((destination) => destination.send(record)))) };
}

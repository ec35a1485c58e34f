/**
 * The composition root: ports in, use cases out. `appFromEnvironment` wires
 * the AWS adapters from config; a handler builds it once per cold start.
 * Adapters resolve their table, bucket and endpoint on first use, so a
 * function only needs the environment of what it touches.
 */
import { DynamoConnectionStore } from "./adapters/dynamo-connections";
import { DynamoGameStore } from "./adapters/dynamo-games";
import { DynamoJobStore } from "./adapters/dynamo-jobs";
import { DynamoQueueStore } from "./adapters/dynamo-queues";
import { DynamoQuotaCounter } from "./adapters/dynamo-quotas";
import { DynamoSessionLedger } from "./adapters/dynamo-sessions";
import { DynamoSubscriptionStore } from "./adapters/dynamo-subscriptions";
import { DynamoWatcherCounters } from "./adapters/dynamo-watchers";
import { dynamoDocumentClient, managementApiClient, s3Client, sqsClient, ssmClient } from "./adapters/aws-clients";
import { SqsFanoutTaskQueue } from "./adapters/sqs-fanout-tasks";
import { LeanManagementApiGateway } from "./adapters/lean-management-api-gateway";
import { ManagementApiGateway } from "./adapters/management-api-gateway";
import { S3SnapshotStore } from "./adapters/s3-snapshots";
import { openWsFanSocket } from "./adapters/ws-fan-socket";
import { readSsmSecret } from "./adapters/ssm-secrets";
import { decodeStreamRecord } from "./adapters/stream-records";
import { createTokenService, requireOperator, type TokenService } from "./auth";
import { PushgateError } from "./errors";
import { createFanVerifier, createOidcVerifier, type FanVerifier } from "./identity";
import { loadConfig, ssmSecretPaths, type Config } from "./config";
import { DeliveryMemo } from "./fanout";
import { GuardedGateway } from "./guarded-gateway";
import { PacedGateway } from "./push-budget";
import { listedShardsOfKind } from "./shards";
import { systemClock, type ClientFrame } from "./protocol";
import type {
  Clock,
  ConnectionStore,
  Deadline,
  FanoutTaskQueue,
  Gateway,
  GameStore,
  JobStore,
  Log,
  OpenFanSocket,
  Meter,
  QueueStore,
  QuotaCounter,
  SessionLedger,
  SnapshotStore,
  SubscriptionStore,
  WatcherCounters,
} from "./ports";
import { gamePublication, jobPublication, queuePublication } from "./publications";
import {
  processEachRecord,
  processStreamBatch,
  type BatchResponse,
  type DecodeRecord,
  type PublicationOf,
  type StreamRecordIn,
} from "./stream";
import { once, onceAsync } from "./once";
import { topology, type SecretName } from "./topology";
import { connect, forgetConnection } from "./usecases/connections";
import { createJob, runJob } from "./usecases/jobs";
import { describeGame, recordScore, unlistGame } from "./usecases/producers";
import { runCanary } from "./usecases/canary";
import { admit, advanceQueue, joinChallenge, joinQueue, myPlace, openQueue, queueTick } from "./usecases/waiting-room";
import { createAdmissionSigner } from "./waiting-room/admission-tokens";
import { createProofOfWork } from "./waiting-room/proof-of-work";
import { fanOf, startSession } from "./usecases/session";
import { answerFrame, handleMessage, type MessageOutcome } from "./usecases/messages";
import { publish } from "./usecases/publish";
import { runFanoutTasks, type TaskMessage } from "./usecases/fanout-tasks";
import { enforceQuota } from "./usecases/quotas";
import { snapshotsFor } from "./usecases/subscriptions";
import { HEARTBEAT_MAX_WAIT_MS, TALLY_MAX_WAIT_MS, tallyWatchers, watchingHeartbeat, type OccupancyDeps } from "./usecases/occupancy";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Ports {
  connections: ConnectionStore;
  subscriptions: SubscriptionStore;
  gateway: Gateway;
  snapshots: SnapshotStore;
  games: GameStore;
  queues: QueueStore;
  jobs: JobStore;
  sessionLedger: SessionLedger;
  quotaCounter: QuotaCounter;
  /** How many fans watch each game (occupancy.ts). */
  watchers: WatcherCounters;
  /** The fan-out task queue big publications are split onto. */
  tasks: FanoutTaskQueue;
  clock: Clock;
  log: Log;
  meter: Meter;
  decode: DecodeRecord;
  /** The canary's fan socket to the public WebSocket API. */
  openSocket: OpenFanSocket;
  secret(name: SecretName): Promise<string>;
}

export type App = ReturnType<typeof createApp>;
export type StreamSource = "games" | "queues" | "jobs";

export function createApp(config: Config, ports: Ports) {
  const ownIssuer = `${topology.app}/${config.stage}`;
  const tokens = onceAsync(
    async (): Promise<TokenService> =>
      createTokenService({
        secret: await ports.secret("JWT_SECRET"),
        issuer: ownIssuer,
        ttlSeconds: config.tokenTtlSeconds,
        renewalGraceSeconds: config.tokenRenewalGraceSeconds,
        sessionMaxSeconds: config.sessionMaxSeconds,
        clock: ports.clock,
      }),
  );
  const { oidc, anonymousSessions } = config.identity;
  /** Every token a fan may present: the stage's own sessions and/or its trusted OIDC issuer's. */
  const fans = onceAsync(
    async (): Promise<FanVerifier> =>
      createFanVerifier({
        ownIssuer,
        ...(anonymousSessions && { own: await tokens() }),
        ...(oidc && { external: { issuer: oidc.issuer, verifier: createOidcVerifier({ ...oidc, clock: ports.clock }) } }),
      }),
  );
  const anonymousTokens = async () => {
    if (!anonymousSessions) {
      throw new PushgateError(
        "FORBIDDEN",
        `this stage has no anonymous sessions; sign in with ${oidc?.issuer} and send its token as Bearer`,
      );
    }
    return tokens();
  };
  const operatorKey = onceAsync(() => ports.secret("OPERATOR_KEY"));
  const admissionSigner = onceAsync(async () =>
    createAdmissionSigner({ secret: await ports.secret("ADMISSION_SIGNING_KEYS"), issuer: ownIssuer, clock: ports.clock }),
  );
  const proofOfWork = onceAsync(async () => createProofOfWork({ secret: await ports.secret("JWT_SECRET"), clock: ports.clock }));
  const asOperator = async (header: string | undefined) => requireOperator(await operatorKey(), header);
  const forget = (connectionId: string) => forgetConnection(ports, connectionId);
  const quotaDeps = { quotaCounter: ports.quotaCounter, quotas: config.quotas, clock: ports.clock };
  /** The fan of the Bearer token, after counting one use of its per-fan quota `quota`. */
  const fanWithin = async (quota: "jobsPerFan" | "joinsPerFan", authorization: string | undefined) => {
    const fanId = await fanOf(await fans(), authorization);
    await enforceQuota(quotaDeps, quota, fanId);
    return fanId;
  };

  const publicationOf: Record<StreamSource, PublicationOf> = {
    games: gamePublication,
    queues: queuePublication,
    jobs: jobPublication(ports.snapshots),
  };

  const memo = new DeliveryMemo();
  const fanoutDeps = { ...ports, forgetConnection: forget, concurrency: config.fanoutConcurrency, memo };
  const publishDeps = {
    ...fanoutDeps,
    split: { tasks: ports.tasks, splitAbove: config.fanoutSplitAbove, workers: topology.queues.fanoutTasks.maxConcurrency },
  };
  const reserveMs = config.fanoutReserveMs;
  // This instance's share of the stage's push budget: Lambda runs at most maxConcurrency task workers at once.
  const pacedGateway = once(
    () =>
      new PacedGateway(ports.gateway, {
        ratePerSecond: config.fanoutRatePerSecond / topology.queues.fanoutTasks.maxConcurrency,
        clock: ports.clock,
        sleep,
      }),
  );
  const frameDeps = { ...ports, maxTopicsPerConnection: config.maxTopicsPerConnection };
  const occupancyDeps: OccupancyDeps = {
    counters: ports.watchers,
    games: ports.games,
    // The counters are the game topic's subscription shards: as many as the fan-out lists.
    shardCount: listedShardsOfKind("game", config.subscriptionShards),
    clock: ports.clock,
    sleep,
    minIntervalMs: config.watchingMinIntervalMs,
  };
  const handleFrame = (connectionId: string, frame: ClientFrame) => answerFrame(frameDeps, connectionId, frame);

  return {
    // WebSocket routes
    connect: async (connectionId: string, secWebSocketProtocol: string | undefined) =>
      connect({ ...ports, tokens: await fans() }, { connectionId, secWebSocketProtocol }),
    disconnect: forget,
    /** A parsed client frame -> the frame to answer with; errors are thrown as PushgateError. */
    handleFrame,
    /** A raw client frame: rate limit, parse, run; never throws (see usecases/messages.ts). */
    handleMessage: (connectionId: string, text: string): Promise<MessageOutcome> =>
      handleMessage({ ...ports, frameRate: config.frameRate, handleFrame, forgetConnection: forget }, connectionId, text),

    // HTTP routes
    startSession: async (authorization: string | undefined, sourceIp: string) =>
      startSession({ ...quotaDeps, tokens: await anonymousTokens(), ledger: ports.sessionLedger }, authorization, sourceIp),
    recordScore: async (operatorHeader: string | undefined, gameId: string | undefined, body: unknown) => {
      await asOperator(operatorHeader);
      return recordScore(ports, gameId, body);
    },
    describeGame: async (operatorHeader: string | undefined, gameId: string | undefined, body: unknown) => {
      await asOperator(operatorHeader);
      return describeGame(ports, gameId, body);
    },
    unlistGame: async (operatorHeader: string | undefined, gameId: string | undefined) => {
      await asOperator(operatorHeader);
      return unlistGame(ports, gameId);
    },
    // The waiting room (usecases/waiting-room.ts)
    openQueue: async (operatorHeader: string | undefined, eventId: string | undefined, body: unknown) => {
      await asOperator(operatorHeader);
      return openQueue(ports, eventId, body);
    },
    joinQueue: async (authorization: string | undefined, eventId: string | undefined, body?: unknown) =>
      joinQueue({ ...ports, proofOfWork }, await fanWithin("joinsPerFan", authorization), eventId, body),
    joinChallenge: async (authorization: string | undefined, eventId: string | undefined) =>
      joinChallenge({ ...ports, proofOfWork }, await fanOf(await fans(), authorization), eventId),
    myPlace: async (authorization: string | undefined, eventId: string | undefined) =>
      myPlace(ports, await fanOf(await fans(), authorization), eventId),
    admit: async (authorization: string | undefined, eventId: string | undefined) =>
      admit({ ...ports, signer: admissionSigner }, await fanOf(await fans(), authorization), eventId),
    advanceQueue: async (operatorHeader: string | undefined, eventId: string | undefined, body: unknown) => {
      await asOperator(operatorHeader);
      return advanceQueue(ports, eventId, body);
    },
    admissionKeys: async () => (await admissionSigner()).jwks(),
    /** The scheduled tick: opening draws and automatic advances. */
    queueTick: () => queueTick({ ...ports, sleep }),
    /** The scheduled canary: push proven end to end through the public APIs (usecases/canary.ts). */
    runCanary: async () =>
      runCanary({
        ...ports,
        tokens: await tokens(),
        timers: {
          setTimeout: (callback, ms) => setTimeout(callback, ms),
          clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
        },
        fetch: (url) => fetch(url),
        websocketUrl: config.websocketUrl(),
        timeoutMs: config.canaryTimeoutMs,
      }),
    createJob: async (authorization: string | undefined, body: unknown) =>
      createJob(ports, await fanWithin("jobsPerFan", authorization), body),
    snapshotsFor: async (authorization: string | undefined, topics: string | undefined) =>
      snapshotsFor(ports, await fanOf(await fans(), authorization), topics),

    // Stream consumers
    /** `deadline`: the invocation's remaining time; publications stop `fanoutReserveMs` before it and are retried. */
    publishChanges: (source: StreamSource, records: StreamRecordIn[], deadline?: Deadline): Promise<BatchResponse> =>
      processStreamBatch(records, {
        decode: ports.decode,
        publicationOf: publicationOf[source],
        publish: (frame) => publish(publishDeps, frame, deadline ? { deadline, reserveMs } : {}),
        ...(deadline && { outOfTime: () => deadline.remainingMs() < reserveMs }),
        log: ports.log,
      }),
    /** One batch of the fan-out task queue (usecases/fanout-tasks.ts): the ids of the messages to report failed. */
    runFanoutTasks: async (messages: TaskMessage[], deadline: Deadline): Promise<string[]> =>
      (await runFanoutTasks({ ...fanoutDeps, gateway: pacedGateway(), tasks: ports.tasks }, messages, { deadline, reserveMs })).failed,
    /**
     * One batch of the subscriptions stream: counts it into the game counters
     * and brings the touched games' counts up to date (usecases/occupancy.ts).
     * A failure fails the whole batch: counting is idempotent, so its retry
     * counts nothing twice.
     */
    tallyWatchers: async (records: StreamRecordIn[], deadline?: Deadline): Promise<BatchResponse> => {
      await tallyWatchers(occupancyDeps, records.map(ports.decode), {
        maxWaitMs: TALLY_MAX_WAIT_MS,
        ...(deadline && { deadline, reserveMs }),
      });
      return { batchItemFailures: [] };
    },
    /** The scheduled heartbeat: carried counts pushed when due (usecases/occupancy.ts). */
    watchingHeartbeat: async (deadline?: Deadline) => {
      await watchingHeartbeat(occupancyDeps, { maxWaitMs: HEARTBEAT_MAX_WAIT_MS, ...(deadline && { deadline, reserveMs }) });
    },
    runJobs: (records: StreamRecordIn[]): Promise<BatchResponse> =>
      processEachRecord(records, { decode: ports.decode, handle: (change) => runJob(ports, change), log: ports.log }),
  };
}

/** The app over AWS (or the local cloud's emulators of it), configured from the environment. */
export function appFromEnvironment(observability: { log: Log; meter: Meter }, env = process.env): App {
  const config = loadConfig(env);
  const db = dynamoDocumentClient(config);
  const ssm = onceAsync(() => ssmClient(config));
  const clock: Clock = systemClock;
  const secrets = {
    JWT_SECRET: onceAsync(() => secret("JWT_SECRET")),
    OPERATOR_KEY: onceAsync(() => secret("OPERATOR_KEY")),
    ADMISSION_SIGNING_KEYS: onceAsync(() => secret("ADMISSION_SIGNING_KEYS")),
  };

  async function secret(name: SecretName): Promise<string> {
    const fromEnv = config.secretFromEnv(name);
    if (fromEnv !== undefined) return fromEnv;
    if (!config.sst) {
      throw new Error(
        `secret ${name} is not set: set SST_Secret_value_${name}, or run under SST (SST_APP and SST_STAGE) to read it from SSM`,
      );
    }
    return readSsmSecret(await ssm(), ssmSecretPaths(config.sst, name));
  }

  return createApp(config, {
    ...observability,
    clock,
    decode: decodeStreamRecord,
    openSocket: openWsFanSocket,
    connections: new DynamoConnectionStore(db, () => config.table("connections")),
    subscriptions: new DynamoSubscriptionStore(db, () => config.table("subscriptions"), config.subscriptionShards),
    games: new DynamoGameStore(db, () => config.table("games")),
    queues: new DynamoQueueStore(
      db,
      () => config.table("queues"),
      () => config.table("places"),
    ),
    jobs: new DynamoJobStore(db, () => config.table("jobs")),
    sessionLedger: new DynamoSessionLedger(db, () => config.table("sessions")),
    quotaCounter: new DynamoQuotaCounter(db, () => config.table("quotas")),
    watchers: new DynamoWatcherCounters(db, () => config.table("watchers"), clock),
    tasks: new SqsFanoutTaskQueue(
      onceAsync(() => sqsClient(config)),
      () => config.queueUrl("fanoutTasks"),
      topology.queues.fanoutTasks.maxMessageSizeBytes,
    ),
    gateway: new GuardedGateway(managementGateway(config), { ...config.breaker, clock, sleep }, observability.log, observability.meter),
    snapshots: new S3SnapshotStore(
      () => s3Client(config),
      () => config.bucket("data"),
      clock,
      config.presignSeconds,
    ),
    secret: (name) => secrets[name](),
  });
}

/**
 * The Management API client: the lean one unless PUSHGATE_MANAGEMENT_CLIENT=sdk.
 * Both resolve the endpoint on first use, so functions that never push need no endpoint.
 */
function managementGateway(config: Config): Gateway {
  if (config.managementClient === "sdk")
    return new ManagementApiGateway(onceAsync(() => managementApiClient(config, config.managementEndpoint())));
  const lean = once(
    () =>
      new LeanManagementApiGateway({
        endpoint: config.managementEndpoint(),
        region: config.region,
        retry: config.pushRetry,
        // The bulkhead (GuardedGateway) bounds the pushes in flight per instance: one warm socket each.
        maxSockets: Math.max(config.fanoutConcurrency, config.breaker.maxConcurrent),
        timeoutMs: config.pushTimeoutMs,
      }),
  );
  return { post: (connectionId, data) => lean().post(connectionId, data), delete: (connectionId) => lean().delete(connectionId) };
}

/**
 * The one declaration of what pushgate is made of: tables, buckets, the
 * WebSocket API, the HTTP API and the stream consumers.
 *
 * Two readers build from it and nothing else: `stacks/` turns it into SST
 * constructs for AWS, and `packages/local` turns it into DynamoDB Local tables,
 * emulated routes and stream pollers. A route, table or consumer added here
 * therefore appears in both places, and the local cloud cannot drift from what
 * is deployed.
 *
 * This file is plain data (no AWS SDK, no CDK), so both sides can import it.
 */

import type { TopicType } from "./wire";

export type KeyType = "string" | "number";

export interface KeyDecl {
  name: string;
  type: KeyType;
}

export interface IndexDecl {
  name: string;
  partitionKey: KeyDecl;
  sortKey?: KeyDecl;
}

export interface TableDecl {
  partitionKey: KeyDecl;
  sortKey?: KeyDecl;
  globalIndexes?: IndexDecl[];
  /** Number attribute of epoch seconds; DynamoDB deletes the item after it. */
  ttlAttribute?: string;
  /** A NEW_AND_OLD_IMAGES stream, read by the consumers below. */
  stream?: boolean;
}

export interface BucketDecl {
  /** Key prefixes that expire, so snapshots and results do not pile up. */
  expire: { prefix: string; days: number }[];
  /** Browsers read objects from the web origin through presigned URLs: `browserReadCors`. */
  cors: boolean;
}

/**
 * The CORS rule of a `cors: true` bucket, the same on AWS (stacks/Storage.ts)
 * and locally (the S3 emulator): the page GETs snapshots and results through
 * presigned URLs, polls with If-None-Match, and must read the ETag it gets
 * back (S3 exposes no response header to scripts unless told to). Nothing
 * uploads from a browser, so no PUT.
 */
export const browserReadCors = {
  allowedMethods: ["GET", "HEAD"],
  allowedHeaders: ["If-None-Match"],
  exposedHeaders: ["ETag"],
  maxAgeSeconds: 3600,
} as const;

/**
 * The HTTP API's CORS, the same on AWS (stacks/Gateway.ts) and locally (the
 * local cloud's HTTP API): the page calls GET and POST routes with a bearer
 * token (never a cookie), so no origin can ride on a visitor's credentials and
 * `*` is safe; operators' PUT/DELETE calls come from scripts, not pages. The
 * page reads `Date` to plan token renewal on the server's clock (session.ts),
 * and browsers hide it from scripts cross-origin unless exposed.
 */
export const browserApiCors = {
  allowOrigins: ["*"],
  allowMethods: ["GET", "POST"],
  allowHeaders: ["authorization", "content-type"],
  exposeHeaders: ["date"],
  allowCredentials: false,
  maxAgeSeconds: 86_400,
} as const;

/** Key prefixes of a bucket a function may read (GetObject, presign a GET) or write (PutObject); nothing deletes. */
export interface BucketAccess {
  read?: readonly string[];
  write?: readonly string[];
}

/**
 * What a function may touch; iam-policy.ts turns it into the IAM statements the
 * stacks deploy and the local cloud enforces, exactly this and no more.
 */
export interface Grants {
  tables?: Record<string, "read" | "readWrite">;
  buckets?: Record<string, BucketAccess>;
  /** PostToConnection / GetConnection / DeleteConnection on the WebSocket API. */
  manageConnections?: boolean;
  secrets?: string[];
  /** SendMessage / SendMessageBatch on a queue of `queues` (its consumer's receive/delete come with the consumer). */
  queues?: Record<string, "send">;
}

export interface FunctionDecl {
  /** `path/to/file.exportName`, relative to the repository root (SST's convention). */
  handler: string;
  timeoutSeconds: number;
  memoryMB: number;
  grants: Grants;
}

export interface WebSocketRouteDecl {
  function: FunctionDecl;
  /**
   * The handler's returned `body` is sent back to the caller (an API Gateway
   * route response). Without it the return value is dropped, as on AWS.
   */
  routeResponse: boolean;
}

export interface HttpRouteDecl {
  function: FunctionDecl;
}

/**
 * A Lambda event source mapping over a table's stream. Every field maps 1:1 to
 * DynamoEventSourceProps on AWS and to the local stream poller.
 */
export interface StreamConsumerDecl {
  /** Logical name of a table in `tables` that has `stream: true`. */
  table: string;
  function: FunctionDecl;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  startingPosition: "LATEST" | "TRIM_HORIZON";
  bisectBatchOnError: boolean;
  reportBatchItemFailures: boolean;
  retryAttempts: number;
  maxRecordAgeSeconds: number;
  parallelizationFactor: number;
  /** Lambda event filter patterns (any one matches), e.g. { eventName: ["INSERT"] }. */
  filters?: Record<string, unknown>[];
}

/**
 * An SQS standard queue with a Lambda consumer (an event source mapping with
 * ReportBatchItemFailures) and a dead-letter queue it redrives to after
 * `maxReceiveCount` receives. Every field maps 1:1 to the stacks' Queue and
 * SqsEventSource and to the local cloud's SQS emulator.
 */
export interface QueueDecl {
  function: FunctionDecl;
  /** Messages per invocation (1-10 without a batching window). */
  batchSize: number;
  maxBatchingWindowSeconds: number;
  /** Invocations of the consumer at once (the event source mapping's MaximumConcurrency, 2-1000). */
  maxConcurrency: number;
  /** At least the function's timeout, or a message still being worked on is handed to a second invocation. */
  visibilityTimeoutSeconds: number;
  /** Receives before a message is moved to the dead-letter queue. */
  maxReceiveCount: number;
  /** The queue's MaximumMessageSize (AWS: 1,024-1,048,576; SendMessage over it is refused). */
  maxMessageSizeBytes: number;
  retentionSeconds: number;
}

/**
 * A function run on a fixed rate: an EventBridge rule (SST Cron) on AWS, the
 * local cloud's scheduler locally. One minute is EventBridge's finest rate.
 */
export interface ScheduleDecl {
  function: FunctionDecl;
  rateMinutes: number;
}

/** API Gateway stage throttling: steady requests per second and the bucket of a burst. */
export interface ThrottleDecl {
  rateLimit: number;
  burstLimit: number;
}

export type SecretName = "JWT_SECRET" | "OPERATOR_KEY" | "ADMISSION_SIGNING_KEYS";
export type TableName = "connections" | "subscriptions" | "games" | "queues" | "places" | "jobs" | "sessions" | "quotas" | "watchers";
export type BucketName = "data";
export type QueueName = "fanoutTasks";

/** Environment variable that tells a function the physical name of a resource. */
export const envVar = {
  table: (name: TableName) => `PUSHGATE_TABLE_${name.toUpperCase()}`,
  bucket: (name: BucketName) => `PUSHGATE_BUCKET_${name.toUpperCase()}`,
  /** https endpoint of the Management API, `https://{api}.execute-api.{region}.amazonaws.com/{stage}`. */
  managementEndpoint: "PUSHGATE_WS_MANAGEMENT_ENDPOINT",
  /** The public `wss://{api}.execute-api.{region}.amazonaws.com/{stage}` fans connect to (the canary does too). */
  websocketUrl: "PUSHGATE_WS_URL",
  stage: "PUSHGATE_STAGE",
  /** URL of a queue a function sends to: `https://sqs.{region}.amazonaws.com/{account}/{name}`. */
  queue: (name: QueueName) => `PUSHGATE_QUEUE_${name.toUpperCase()}`,
} as const;

const fn = (handler: string, grants: Grants, timeoutSeconds = 10, memoryMB = 512): FunctionDecl => ({
  handler: `packages/functions/src/${handler}`,
  timeoutSeconds,
  memoryMB,
  grants,
});

/** Defaults shared by the fan-out consumers; see docs/aws-facts.md, "DynamoDB Streams to Lambda", for the AWS ranges. */
const fanoutConsumer = {
  batchSize: 100,
  maxBatchingWindowSeconds: 0,
  startingPosition: "LATEST",
  bisectBatchOnError: true,
  reportBatchItemFailures: true,
  retryAttempts: 5,
  maxRecordAgeSeconds: 3600,
  parallelizationFactor: 2,
} as const;

/**
 * A topic kind's subscription shards: the partition keys `topic#0 ..
 * topic#{count-1}` its subscriptions spread over, and so the unit of a big
 * fan-out's parallel tasks (usecases/fanout-tasks.ts).
 */
export interface ShardCountDecl {
  /** Shards a connection opened now is spread over (it keeps them for its life: usecases/connections.ts). */
  count: number;
  /**
   * The count of the previous deploy, while connections opened under it may
   * live (2 h 15 min, CONNECTION_TTL_SECONDS): the fan-out reads
   * max(count, before) shards, so a lowered count misses nobody. Set it to
   * `count` once that long has passed since the deploy that changed `count`.
   */
  before: number;
}

/**
 * Subscription shards per topic kind (docs/deploy.md, "Hot topics", argues
 * the numbers). A game (and the list of games, which every fan on the landing
 * page holds) may have 1,000,000 fans: 64 shards keep each partition key at
 * ~15,600 items and make 64 fan-out tasks, each within one invocation at a
 * worker's share of the push budget, four or more per worker. A queue's
 * audience is a presale's waiting room (100,000s, arriving at 500
 * connects/s): 16. A job has one subscriber, its owner: 1 shard, one Query
 * per publication. Every kind was 8 (PUSHGATE_SUBSCRIPTION_SHARDS' old
 * default) before these were declared, hence `before: 8`; the environment
 * may override both (config.ts, `PUSHGATE_SUBSCRIPTION_SHARDS=game=2`).
 */
export const subscriptionShards = {
  game: { count: 64, before: 8 },
  games: { count: 64, before: 8 },
  queue: { count: 16, before: 8 },
  job: { count: 1, before: 8 },
} as const satisfies Record<TopicType, ShardCountDecl>;

/** The queue item's attribute that says whether its last write was news (a new seq) or housekeeping. */
export const QUEUE_CHANGE = "change";

/** The fan-outs write the topic's snapshot (reading its seq first: it never goes back); the jobs fan-out also presigns the result it announces. */
const fanoutGrants = (source: TableName, bucket: BucketAccess = { read: ["snapshots/"], write: ["snapshots/"] }): Grants => ({
  tables: { [source]: "read", subscriptions: "readWrite", connections: "readWrite" },
  buckets: { data: bucket },
  manageConnections: true,
  // A topic above the split threshold is handed to the fan-out task queue (queues below).
  queues: { fanoutTasks: "send" },
});

export const topology = {
  app: "pushgate",

  tables: {
    /** One item per open socket: fanId, topics, TTL past the 2-hour limit. */
    connections: {
      partitionKey: { name: "connectionId", type: "string" },
      ttlAttribute: "expiresAt",
    },
    /**
     * Who listens to a topic. Partition key `topic#shard` spreads a big topic
     * over shards that fan out in parallel; Query per shard, never Scan. Its
     * stream feeds the occupancy counters (watchersTally): an INSERT is a fan
     * who started watching, a REMOVE one who stopped, however it was deleted.
     */
    subscriptions: {
      partitionKey: { name: "topicShard", type: "string" },
      sortKey: { name: "connectionId", type: "string" },
      ttlAttribute: "expiresAt",
      stream: true,
    },
    /**
     * How many fans watch each game, one counter per subscription shard of its
     * topic (`counterId` = `game/g1#3`), so arrivals at kickoff spread like the
     * subscriptions do; see occupancy.ts.
     */
    watchers: {
      partitionKey: { name: "counterId", type: "string" },
      ttlAttribute: "expiresAt",
    },
    /** Source of truth for `game/{gameId}`; each write bumps `seq`. */
    games: {
      partitionKey: { name: "gameId", type: "string" },
      stream: true,
    },
    /** Source of truth for `queue/{eventId}`: settings, phase, servingNumber, arrivals, seq (one item per event). */
    queues: {
      partitionKey: { name: "eventId", type: "string" },
      stream: true,
    },
    /** One place per fan per queue: its drawn ticket or its arrival number. Never pushed, so no stream. */
    places: {
      partitionKey: { name: "eventId", type: "string" },
      sortKey: { name: "fanId", type: "string" },
      ttlAttribute: "expiresAt",
    },
    /** Source of truth for `job/{jobId}`: owner, status, seq. */
    jobs: {
      partitionKey: { name: "jobId", type: "string" },
      globalIndexes: [{ name: "byFan", partitionKey: { name: "fanId", type: "string" }, sortKey: { name: "createdAt", type: "string" } }],
      ttlAttribute: "expiresAt",
      stream: true,
    },
    /** `token#{jti}` per renewed token (each renews once) and `session#{sid}` per revoked session; see usecases/session.ts. */
    sessions: {
      partitionKey: { name: "id", type: "string" },
      ttlAttribute: "expiresAt",
    },
    /** One counter per quota, subject and fixed window (`{quota}#{fan or address}#{window}`); see usecases/quotas.ts. */
    quotas: {
      partitionKey: { name: "id", type: "string" },
      ttlAttribute: "expiresAt",
    },
  } satisfies Record<TableName, TableDecl>,

  buckets: {
    /** `snapshots/{topic}.json` (polling fallback, resync point) and `results/{jobId}.json`. */
    data: {
      expire: [
        { prefix: "snapshots/", days: 7 },
        { prefix: "results/", days: 7 },
      ],
      cors: true,
    },
  } satisfies Record<BucketName, BucketDecl>,

  /** ADMISSION_SIGNING_KEYS: P-256 keys, newest first (waiting-room/admission-tokens.ts says how to rotate). */
  secrets: ["JWT_SECRET", "OPERATOR_KEY", "ADMISSION_SIGNING_KEYS"] satisfies SecretName[],

  /**
   * Stage throttling of each API (every route of the stage), a share of the
   * account's 10,000 requests/s (burst 5,000) that both APIs and every
   * @connections post draw from. Fans' own traffic is bounded here so that a
   * flood of it cannot starve the broadcasts: 100,000 fans pinging every 5
   * minutes are 333 messages/s and a reconnect storm adds one subscribe per
   * connect (at most 500 connects/s, the account's own quota), so 2,000/s for
   * the WebSocket API; sessions (renewals every 29 minutes: 57/s for 100,000
   * fans), joins and jobs fit in 1,000/s for the HTTP API. That leaves 7,000/s
   * for @connections posts, a 100,000-fan broadcast in ~14 s; raise these
   * with the account quota (docs/deploy.md). Per-fan and per-address limits
   * are the quotas in code (usecases/quotas.ts), which stage throttling cannot
   * tell apart.
   */
  throttle: {
    websocket: { rateLimit: 2_000, burstLimit: 2_000 },
    http: { rateLimit: 1_000, burstLimit: 1_000 },
  } satisfies Record<"websocket" | "http", ThrottleDecl>,

  websocket: {
    routeSelectionExpression: "$request.body.action",
    routes: {
      $connect: {
        function: fn("ws/connect.handler", { tables: { connections: "readWrite" }, secrets: ["JWT_SECRET"] }),
        routeResponse: false,
      },
      $disconnect: {
        function: fn("ws/disconnect.handler", { tables: { connections: "readWrite", subscriptions: "readWrite" } }),
        routeResponse: false,
      },
      subscribe: {
        function: fn("ws/subscribe.handler", {
          tables: { connections: "readWrite", subscriptions: "readWrite", games: "read", queues: "read", jobs: "read" },
          buckets: { data: { read: ["snapshots/"] } },
          manageConnections: true,
        }),
        routeResponse: true,
      },
      unsubscribe: {
        function: fn("ws/unsubscribe.handler", {
          tables: { connections: "readWrite", subscriptions: "readWrite" },
          manageConnections: true,
        }),
        routeResponse: true,
      },
      // Every message route takes a token from the connection's rate limit (on its item) and may close an abuser.
      ping: {
        function: fn("ws/ping.handler", { tables: { connections: "readWrite", subscriptions: "readWrite" }, manageConnections: true }),
        routeResponse: true,
      },
      $default: {
        function: fn("ws/default.handler", { tables: { connections: "readWrite", subscriptions: "readWrite" }, manageConnections: true }),
        routeResponse: true,
      },
    } satisfies Record<string, WebSocketRouteDecl>,
  },

  http: {
    /** Route keys as API Gateway HTTP APIs spell them: `METHOD /path/{param}`. */
    routes: {
      "POST /session": {
        function: fn("http/session.handler", { tables: { sessions: "readWrite", quotas: "readWrite" }, secrets: ["JWT_SECRET"] }),
      },
      "POST /games/{gameId}/score": { function: fn("http/score.handler", { tables: { games: "readWrite" }, secrets: ["OPERATOR_KEY"] }) },
      "PUT /games/{gameId}": { function: fn("http/describe-game.handler", { tables: { games: "readWrite" }, secrets: ["OPERATOR_KEY"] }) },
      "DELETE /games/{gameId}": { function: fn("http/unlist-game.handler", { tables: { games: "readWrite" }, secrets: ["OPERATOR_KEY"] }) },
      "PUT /queues/{eventId}": { function: fn("http/open-queue.handler", { tables: { queues: "readWrite" }, secrets: ["OPERATOR_KEY"] }) },
      "POST /queues/{eventId}/join": {
        function: fn("http/join.handler", {
          tables: { queues: "readWrite", places: "readWrite", quotas: "readWrite" },
          secrets: ["JWT_SECRET"],
        }),
      },
      // Stateless (an HMAC keyed from JWT_SECRET): no table but the queue's setting.
      "GET /queues/{eventId}/challenge": {
        function: fn("http/join-challenge.handler", { tables: { queues: "read" }, secrets: ["JWT_SECRET"] }),
      },
      "GET /queues/{eventId}/me": {
        function: fn("http/my-place.handler", { tables: { queues: "read", places: "read" }, secrets: ["JWT_SECRET"] }),
      },
      "POST /queues/{eventId}/admission": {
        function: fn("http/admission.handler", {
          tables: { queues: "read", places: "read" },
          secrets: ["JWT_SECRET", "ADMISSION_SIGNING_KEYS"],
        }),
      },
      "POST /queues/{eventId}/advance": {
        function: fn("http/advance.handler", { tables: { queues: "readWrite" }, secrets: ["OPERATOR_KEY"] }),
      },
      "GET /.well-known/jwks.json": { function: fn("http/jwks.handler", { secrets: ["ADMISSION_SIGNING_KEYS"] }) },
      "POST /jobs": {
        function: fn("http/jobs.handler", {
          tables: { jobs: "readWrite", quotas: "readWrite" },
          buckets: { data: { read: ["results/"] } },
          secrets: ["JWT_SECRET"],
        }),
      },
      "GET /snapshots": {
        function: fn("http/snapshots.handler", {
          tables: { jobs: "read" },
          buckets: { data: { read: ["snapshots/"] } },
          secrets: ["JWT_SECRET"],
        }),
      },
    } satisfies Record<string, HttpRouteDecl>,
  },

  consumers: {
    gamesFanout: { table: "games", function: fn("stream/games.handler", fanoutGrants("games"), 60), ...fanoutConsumer },
    queuesFanout: {
      table: "queues",
      function: fn("stream/queues.handler", fanoutGrants("queues"), 60),
      ...fanoutConsumer,
      // Only a write that bumped seq is news (joins and the pre-queue freeze are housekeeping): see dynamo-queues.ts.
      filters: [{ dynamodb: { NewImage: { [QUEUE_CHANGE]: { S: ["news"] } } } }],
    },
    jobsFanout: {
      table: "jobs",
      function: fn("stream/jobs.handler", fanoutGrants("jobs", { read: ["results/", "snapshots/"], write: ["snapshots/"] }), 60),
      ...fanoutConsumer,
      // Only a finished job is news to its owner.
      filters: [{ dynamodb: { NewImage: { status: { S: ["ready"] } } } }],
    },
    /**
     * Occupancy (usecases/occupancy.ts): counts a batch of subscription
     * changes into the game counters and brings each touched game's count up
     * to date on the game's item (gamesFanout pushes it). One invocation per
     * stream shard at a time (parallelization 1) and a 2-second window, so a
     * kickoff's arrivals are counted in batches, not one invocation each. It
     * waits at most 10 s for a push to be due (TALLY_MAX_WAIT_MS); a later one
     * is carried, for the heartbeat below. Only game subscriptions are news here.
     */
    watchersTally: {
      table: "subscriptions",
      function: fn("stream/watchers.handler", { tables: { watchers: "readWrite", games: "readWrite" } }, 60, 256),
      ...fanoutConsumer,
      batchSize: 1000,
      maxBatchingWindowSeconds: 2,
      parallelizationFactor: 1,
      // Counting is idempotent per record (lastSequence), so a retried batch is harmless; a record older than a day is stale news.
      maxRecordAgeSeconds: 86_400,
      filters: [
        { eventName: ["INSERT"], dynamodb: { NewImage: { topic: { S: [{ prefix: "game/" }] } } } },
        { eventName: ["REMOVE"], dynamodb: { OldImage: { topic: { S: [{ prefix: "game/" }] } } } },
      ],
    },
    jobWorker: {
      table: "jobs",
      function: fn(
        "stream/job-worker.handler",
        { tables: { jobs: "readWrite", games: "read" }, buckets: { data: { write: ["results/"] } } },
        120,
        1024,
      ),
      ...fanoutConsumer,
      batchSize: 10,
      parallelizationFactor: 1,
      filters: [{ eventName: ["INSERT"], dynamodb: { NewImage: { status: { S: ["pending"] } } } }],
    },
  } satisfies Record<string, StreamConsumerDecl>,

  // ---- fan-out across invocations (issue 12) ----------------------------------------------
  queues: {
    /**
     * A publication whose audience is above PUSHGATE_FANOUT_SPLIT_ABOVE is cut
     * into tasks by subscription shard (usecases/fanout-tasks.ts: a big shard
     * alone, small ones grouped to about one task per worker); each is pushed
     * by its own invocation of this consumer, in parallel. A task that runs
     * short of time re-enqueues its remainder with a cursor, so progress
     * survives another instance. One task is already 250-15,600 posts, so a
     * batch of one: more per batch would serialize work that can run in
     * parallel. maxConcurrency splits the stage's push budget
     * (PUSHGATE_FANOUT_RATE_PER_SECOND) between workers without coordination.
     */
    fanoutTasks: {
      function: fn(
        "queue/fanout-task.handler",
        { tables: { subscriptions: "readWrite", connections: "readWrite" }, manageConnections: true, queues: { fanoutTasks: "send" } },
        60,
      ),
      batchSize: 1,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: 8,
      // AWS's advice for a Lambda-consumed queue: six times the function's timeout.
      visibilityTimeoutSeconds: 360,
      maxReceiveCount: 5,
      maxMessageSizeBytes: 262_144,
      retentionSeconds: 3600,
    },
  } satisfies Record<QueueName, QueueDecl>,

  schedules: {
    /**
     * Opens queues (the pre-queue draw) and advances them at admitPerMinute.
     * A run that finds an opening due within its minute waits for it, so the
     * draw starts at opensAt rather than up to a minute late; hence 120 s.
     */
    queueTick: {
      function: fn("schedule/queue-tick.handler", { tables: { queues: "readWrite", places: "readWrite" } }, 120, 1024),
      rateMinutes: 1,
    },
    /**
     * Proves push end to end (usecases/canary.ts): a fan's socket, a producer's
     * write, the push, the snapshot. It needs only the games table (its write)
     * and JWT_SECRET (its own session); everything else goes through the
     * public APIs, with the grants of the functions fans reach.
     */
    /**
     * Pushes the occupancy counts that were carried (changed before their
     * push was due, usecases/occupancy.ts), waiting for those due within its
     * minute: the last change before a quiet period is pushed on time. It
     * reads the games (a Scan of one small item per game) and the counters.
     */
    watchingHeartbeat: {
      function: fn("schedule/watching-heartbeat.handler", { tables: { watchers: "read", games: "readWrite" } }, 120, 256),
      rateMinutes: 1,
    },
    canary: {
      function: fn("schedule/canary.handler", { tables: { games: "readWrite" }, secrets: ["JWT_SECRET"] }, 60, 256),
      rateMinutes: 1,
    },
  } satisfies Record<string, ScheduleDecl>,
} as const;

export type Topology = typeof topology;

/** The shape both readers accept, so tests can hand them a smaller topology. */
export interface TopologyShape {
  app: string;
  tables: Record<string, TableDecl>;
  buckets: Record<string, BucketDecl>;
  secrets: readonly string[];
  websocket: { routeSelectionExpression: string; routes: Record<string, WebSocketRouteDecl> };
  http: { routes: Record<string, HttpRouteDecl> };
  /** Optional so a smaller test topology may leave it out. */
  throttle?: Record<"websocket" | "http", ThrottleDecl>;
  consumers: Record<string, StreamConsumerDecl>;
  /** Optional so a smaller test topology may leave it out. */
  queues?: Record<string, QueueDecl>;
  /** Optional so a smaller test topology may leave it out. */
  schedules?: Record<string, ScheduleDecl>;
}

/**
 * Where the functions' metrics go (Powertools at the edge) and where the
 * stacks' alarms and dashboard read them: one namespace, and a `service`
 * dimension per stage, so two stages in one account never share a series.
 */
export const metricsIdentity = (app: string, stage: string) => ({ namespace: app, service: `${stage}-${app}` });

/** Physical resource names for a stage, the same on AWS and locally. */
export const physicalName = (app: string, stage: string, logical: string) => `${stage}-${app}-${logical}`;

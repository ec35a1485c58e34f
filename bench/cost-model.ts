/**
 * The monthly AWS bill of pushgate's push against the polling it replaces,
 * and the quota arithmetic behind it. Pure functions of the workload, the
 * prices and the assumptions (no I/O): bench/cost.ts is the CLI, and
 * bench/cost-model.test.ts checks the arithmetic.
 *
 * Every count follows the code path of packages/core (what each route and
 * the fan-out read and write); BENCHMARKS.md lists the sources of the
 * prices. Prices are us-east-1, on-demand, without free tiers.
 */
import { DEFAULTS as CLIENT_DEFAULTS } from "@pushgate/client";
import { subscriptionShards, topology } from "@pushgate/core/topology";

export interface Workload {
  /** Fans watching one event at once. */
  fans: number;
  /** How long each fan stays connected (or polls) per event. */
  hours: number;
  /** Publications per event (score changes, queue advances). */
  updates: number;
  /** Seconds between two polls of one fan. */
  pollIntervalSeconds: number;
  eventsPerMonth: number;
  /** Bytes of one pushed message (a score-update frame is ~200 B). */
  messageBytes: number;
  /** Bytes of one snapshot body. */
  snapshotBytes: number;
  /** Response headers of a GET (200 or 304), for data transfer. */
  responseHeaderBytes: number;
  /** Poll through CloudFront instead of S3 presigned URLs (needs CloudFront-signed URLs or cookies in place of S3 presigning). */
  cloudFront: boolean;
}

export interface Prices {
  /** API Gateway WebSocket, per million messages (billed per 32 KB), up to the tier boundary. */
  websocketMessagesPerMillion: number;
  websocketMessagesPerMillionOverTier: number;
  websocketMessageTierMillions: number;
  websocketConnectionMinutesPerMillion: number;
  httpApiRequestsPerMillion: number;
  lambdaGbSecond: number;
  lambdaRequestsPerMillion: number;
  dynamodbWriteUnitsPerMillion: number;
  dynamodbReadUnitsPerMillion: number;
  s3GetPerThousand: number;
  s3PutPerThousand: number;
  dataTransferOutPerGb: number;
  cloudFrontRequestsPerMillion: number;
  cloudFrontTransferPerGb: number;
  /** A custom metric (an EMF metric name with one set of dimensions), per month. */
  cloudWatchMetricPerMonth: number;
  /** A standard-resolution alarm, per month. */
  cloudWatchAlarmPerMonth: number;
  /** A dashboard, per month (past the first three of an account). */
  cloudWatchDashboardPerMonth: number;
  cloudWatchLogsIngestionPerGb: number;
}

export interface Assumptions {
  lambdaMemoryMb: number;
  /** Billed duration of one $connect, subscribe, ping, $disconnect, session or snapshots invocation. */
  shortInvocationMs: number;
  /** PostToConnection calls one fan-out invocation makes per second (SDK measured ~1,100; raw HTTP ~6,900). */
  fanoutPostsPerSecond: number;
  /** A visible page pings a socket silent this long (the client's default: a dead socket is noticed within 40 s). */
  visiblePingIntervalSeconds: number;
  /** A hidden page's cadence, also the keep-alive a busy socket still sends (API Gateway's idle timeout is 10 min). */
  hiddenPingIntervalMinutes: number;
  /** The share of connected fan-time with the page on screen. */
  visibleShare: number;
  tokenTtlMinutes: number;
  presignMinutes: number;
  /** Bytes of one subscriptions item read by the fan-out Query. */
  subscriptionItemBytes: number;
  /** CloudFront edges that each fetch the snapshot from S3 once per TTL. */
  cloudFrontEdges: number;
}

export interface Quotas {
  /** Account-wide API Gateway requests per second (HTTP, REST, WebSocket and @connections together). */
  accountRequestsPerSecond: number;
  /** New WebSocket connections per second per account and Region. */
  newConnectionsPerSecond: number;
  /** S3 GET/HEAD per second per partitioned prefix. */
  s3GetsPerSecondPerPrefix: number;
  fanoutTimeoutSeconds: number;
  /** The WebSocket API's stage throttle (every route, pings included). */
  websocketStageRequestsPerSecond: number;
}

/** Defaults, each documented with its source in BENCHMARKS.md. */
export const DEFAULT_PRICES: Prices = {
  websocketMessagesPerMillion: 1.0,
  websocketMessagesPerMillionOverTier: 0.8,
  websocketMessageTierMillions: 1000,
  websocketConnectionMinutesPerMillion: 0.25,
  httpApiRequestsPerMillion: 1.0,
  lambdaGbSecond: 0.0000133334,
  lambdaRequestsPerMillion: 0.2,
  dynamodbWriteUnitsPerMillion: 0.625,
  dynamodbReadUnitsPerMillion: 0.125,
  s3GetPerThousand: 0.0004,
  s3PutPerThousand: 0.005,
  dataTransferOutPerGb: 0.09,
  cloudFrontRequestsPerMillion: 1.0,
  cloudFrontTransferPerGb: 0.085,
  cloudWatchMetricPerMonth: 0.3,
  cloudWatchAlarmPerMonth: 0.1,
  cloudWatchDashboardPerMonth: 3.0,
  cloudWatchLogsIngestionPerGb: 0.5,
};

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  lambdaMemoryMb: 512,
  shortInvocationMs: 20,
  fanoutPostsPerSecond: 1100,
  visiblePingIntervalSeconds: CLIENT_DEFAULTS.pingIntervalMs / 1000,
  hiddenPingIntervalMinutes: CLIENT_DEFAULTS.hiddenPingIntervalMs / 60_000,
  visibleShare: 0.5,
  tokenTtlMinutes: 30,
  presignMinutes: 60,
  subscriptionItemBytes: 120,
  cloudFrontEdges: 20,
};

export const DEFAULT_QUOTAS: Quotas = {
  accountRequestsPerSecond: 10_000,
  newConnectionsPerSecond: 500,
  s3GetsPerSecondPerPrefix: 5_500,
  fanoutTimeoutSeconds: 60,
  websocketStageRequestsPerSecond: topology.throttle.websocket.rateLimit,
};

export const DEFAULT_WORKLOAD: Workload = {
  fans: 100_000,
  hours: 3,
  updates: 300,
  pollIntervalSeconds: 5,
  eventsPerMonth: 30,
  messageBytes: 200,
  snapshotBytes: 200,
  responseHeaderBytes: 300,
  cloudFront: false,
};

export interface LineItem {
  item: string;
  /** Per month. */
  quantity: number;
  unit: string;
  cost: number;
}

export interface Bill {
  lines: LineItem[];
  total: number;
}

const GB = 1024 ** 3;
const million = (count: number, pricePerMillion: number) => (count / 1e6) * pricePerMillion;

/** Messages are billed in 32 KB increments. */
export const billedMessages = (messages: number, bytes: number): number => messages * Math.max(1, Math.ceil(bytes / (32 * 1024)));

/** The WebSocket message price with its volume tier (monthly volume). */
export function websocketMessageCost(messagesPerMonth: number, prices: Prices): number {
  const tier = prices.websocketMessageTierMillions * 1e6;
  const inTier = Math.min(messagesPerMonth, tier);
  return (
    million(inTier, prices.websocketMessagesPerMillion) +
    million(Math.max(0, messagesPerMonth - tier), prices.websocketMessagesPerMillionOverTier)
  );
}

function bill(lines: LineItem[]): Bill {
  return { lines, total: lines.reduce((total, line) => total + line.cost, 0) };
}

/** Sessions per fan per event: the first token, then one renewal per token lifetime. */
const sessionsPerFan = (workload: Workload, assumptions: Assumptions) =>
  1 + Math.floor((workload.hours * 60) / assumptions.tokenTtlMinutes);

/**
 * Pings per fan per event. Any frame proves the socket alive, so a visible page
 * pings only after `visiblePingIntervalSeconds` of silence (modelled with the
 * pushes evenly spread), and never less often than the keep-alive; a hidden page
 * sends the keep-alive alone.
 */
export function pingsPerFan(workload: Workload, assumptions: Assumptions): number {
  const seconds = workload.hours * 3600;
  const keepAlive = Math.floor(seconds / (assumptions.hiddenPingIntervalMinutes * 60));
  const silence = seconds / (workload.updates + 1);
  const visible = Math.max(keepAlive, (workload.updates + 1) * Math.floor(silence / assumptions.visiblePingIntervalSeconds));
  return assumptions.visibleShare * visible + (1 - assumptions.visibleShare) * keepAlive;
}

export function pushBill(workload: Workload, prices: Prices, assumptions: Assumptions): Bill {
  const { fans, hours, updates, eventsPerMonth: events } = workload;
  const memoryGb = assumptions.lambdaMemoryMb / 1024;
  const pings = pingsPerFan(workload, assumptions);

  // Per event, then times the events of a month.
  const connectionMinutes = fans * hours * 60 * events;
  // Out: every push, the subscribed ack, every pong. In: the subscribe frame, every ping.
  const pushes = billedMessages(fans * updates, workload.messageBytes) * events;
  const routeMessages = fans * (2 + 2 * pings) * events;
  const messages = pushes + routeMessages;
  const sessions = fans * sessionsPerFan(workload, assumptions) * events;
  const httpRequests = sessions + updates * events;
  // $connect, subscribe, every ping and $disconnect per fan; the session route; the score route per update.
  const shortInvocations = fans * (3 + pings) * events + sessions + updates * events;
  // One fan-out invocation per update (batches of one topic collapse to its newest seq).
  const fanoutInvocations = updates * events;
  const fanoutSeconds = ((fans * updates) / assumptions.fanoutPostsPerSecond) * events;
  const gbSeconds = ((shortInvocations * assumptions.shortInvocationMs) / 1000) * memoryGb + fanoutSeconds * memoryGb;
  // Per fan: connection put, connection update + subscription put on subscribe, two deletes on disconnect,
  // and one connection update per ping (its frame rate token). Per update: the source item.
  const writeUnits = (fans * (5 + pings) + updates) * events;
  // Per fan: connection and game GetItem (eventually consistent, 0.5 each). Per update: the Query over every
  // subscription, strongly consistent (1 per 4 KB, twice the eventually consistent price) so that a
  // subscription acknowledged before the publication is always read (issue 11). One Query per shard of a game
  // (topology subscriptionShards), each rounded up to 4 KB on its own: at least one unit a shard, even empty.
  const shards = subscriptionShards.game.count;
  const queryUnitsPerUpdate = shards * Math.ceil((fans * assumptions.subscriptionItemBytes) / shards / 4096);
  const readUnits = (fans * 1 + updates * queryUnitsPerUpdate) * events;
  const s3Puts = updates * events;
  // Per update: the HEAD that reads the snapshot's seq before its conditional PUT (snapshots never go back), at the GET price.
  const s3Heads = updates * events;
  // Each subscribe resyncs from the snapshot once.
  const s3Gets = fans * events;
  const transferBytes = (fans * updates * workload.messageBytes + fans * (workload.snapshotBytes + workload.responseHeaderBytes)) * events;
  const transferGb = transferBytes / GB;

  return bill([
    {
      item: "WebSocket connection minutes",
      quantity: connectionMinutes,
      unit: "minutes",
      cost: million(connectionMinutes, prices.websocketConnectionMinutesPerMillion),
    },
    {
      item: "WebSocket messages (pushes, acks, pings, pongs)",
      quantity: messages,
      unit: "messages",
      cost: websocketMessageCost(messages, prices),
    },
    {
      item: "HTTP API requests (sessions, producer)",
      quantity: httpRequests,
      unit: "requests",
      cost: million(httpRequests, prices.httpApiRequestsPerMillion),
    },
    {
      item: "Lambda requests",
      quantity: shortInvocations + fanoutInvocations,
      unit: "invocations",
      cost: million(shortInvocations + fanoutInvocations, prices.lambdaRequestsPerMillion),
    },
    {
      item: "Lambda compute (fan-out at the posts/s assumption)",
      quantity: gbSeconds,
      unit: "GB-s",
      cost: gbSeconds * prices.lambdaGbSecond,
    },
    { item: "DynamoDB writes", quantity: writeUnits, unit: "WRU", cost: million(writeUnits, prices.dynamodbWriteUnitsPerMillion) },
    {
      item: "DynamoDB reads (subscriber Query)",
      quantity: readUnits,
      unit: "RRU",
      cost: million(readUnits, prices.dynamodbReadUnitsPerMillion),
    },
    { item: "S3 PUT (snapshots)", quantity: s3Puts, unit: "requests", cost: (s3Puts / 1000) * prices.s3PutPerThousand },
    { item: "S3 GET (resync on subscribe)", quantity: s3Gets, unit: "requests", cost: (s3Gets / 1000) * prices.s3GetPerThousand },
    {
      item: "S3 HEAD (snapshot seq before its write)",
      quantity: s3Heads,
      unit: "requests",
      cost: (s3Heads / 1000) * prices.s3GetPerThousand,
    },
    { item: "Data transfer out", quantity: transferGb, unit: "GB", cost: transferGb * prices.dataTransferOutPerGb },
  ]);
}

export function pollingBill(workload: Workload, prices: Prices, assumptions: Assumptions): Bill {
  const { fans, hours, updates, eventsPerMonth: events, pollIntervalSeconds } = workload;
  const memoryGb = assumptions.lambdaMemoryMb / 1024;
  const pollsPerFan = Math.floor((hours * 3600) / pollIntervalSeconds);
  const polls = fans * pollsPerFan * events;
  // A fan downloads a body at most once per update (ETag 304 otherwise).
  const bodiesPerFan = Math.min(pollsPerFan, updates + 1);
  const sessions = fans * sessionsPerFan(workload, assumptions) * events;
  const urlRenewals = fans * Math.max(1, Math.ceil((hours * 60) / assumptions.presignMinutes)) * events;
  const httpRequests = sessions + urlRenewals + updates * events;
  // The fan-out still runs per update (snapshot write) but pushes to no one.
  const invocations = sessions + urlRenewals + 2 * updates * events;
  const gbSeconds = ((invocations * assumptions.shortInvocationMs) / 1000) * memoryGb;
  const writeUnits = updates * events;
  const s3Puts = updates * events;
  const transferBytes = fans * events * (pollsPerFan * workload.responseHeaderBytes + bodiesPerFan * workload.snapshotBytes);
  const transferGb = transferBytes / GB;

  const lines: LineItem[] = [
    {
      item: "HTTP API requests (sessions, snapshot URLs, producer)",
      quantity: httpRequests,
      unit: "requests",
      cost: million(httpRequests, prices.httpApiRequestsPerMillion),
    },
    { item: "Lambda requests", quantity: invocations, unit: "invocations", cost: million(invocations, prices.lambdaRequestsPerMillion) },
    { item: "Lambda compute", quantity: gbSeconds, unit: "GB-s", cost: gbSeconds * prices.lambdaGbSecond },
    { item: "DynamoDB writes", quantity: writeUnits, unit: "WRU", cost: million(writeUnits, prices.dynamodbWriteUnitsPerMillion) },
    { item: "S3 PUT (snapshots)", quantity: s3Puts, unit: "requests", cost: (s3Puts / 1000) * prices.s3PutPerThousand },
  ];
  if (workload.cloudFront) {
    const originGets = assumptions.cloudFrontEdges * Math.ceil((hours * 3600) / Math.max(1, pollIntervalSeconds)) * events;
    lines.push(
      { item: "CloudFront requests (polls)", quantity: polls, unit: "requests", cost: million(polls, prices.cloudFrontRequestsPerMillion) },
      {
        item: "S3 GET (CloudFront origin fetches)",
        quantity: originGets,
        unit: "requests",
        cost: (originGets / 1000) * prices.s3GetPerThousand,
      },
      { item: "CloudFront data transfer out", quantity: transferGb, unit: "GB", cost: transferGb * prices.cloudFrontTransferPerGb },
    );
  } else {
    lines.push(
      { item: "S3 GET (polls, 304 or 200)", quantity: polls, unit: "requests", cost: (polls / 1000) * prices.s3GetPerThousand },
      { item: "Data transfer out", quantity: transferGb, unit: "GB", cost: transferGb * prices.dataTransferOutPerGb },
    );
  }
  return bill(lines);
}

/** What one canary run does (usecases/canary.ts), measured against the local cloud with `npm run canary`. */
export interface CanaryAssumptions {
  runsPerMonth: number;
  /** Billed duration of the canary function per run: connect, subscribe, write, push back, snapshot. */
  runMs: number;
  memoryMb: number;
  /** Log bytes per run: the EMF line and the platform's START/END/REPORT lines. */
  logBytesPerRun: number;
}

/** Every minute of a 30-day month, at the topology's 256 MB. */
export const DEFAULT_CANARY: CanaryAssumptions = { runsPerMonth: 60 * 24 * 30, runMs: 400, memoryMb: 256, logBytesPerRun: 1200 };

/**
 * The canary's monthly bill: what it costs to know push works (issue 14).
 * Per run: one scheduled invocation (EventBridge scheduled rules are free);
 * $connect, subscribe, $disconnect and one fan-out invocation of the short
 * kind; one connection minute (billed per started minute); subscribe in, ack
 * and push out; seven writes (its score, the connection put, the subscribe
 * frame's rate-limit token, the connection's topics and the subscription,
 * two deletes on disconnect); the connection
 * and game reads and the one-item subscriber Query; the snapshot PUT and its
 * GET. Plus the two canary metrics, its two alarms and the dashboard.
 */
export function canaryBill(prices: Prices, assumptions: Assumptions, canary: CanaryAssumptions = DEFAULT_CANARY): Bill {
  const runs = canary.runsPerMonth;
  const shortInvocations = 4 * runs;
  const gbSeconds =
    runs * (canary.runMs / 1000) * (canary.memoryMb / 1024) +
    ((shortInvocations * assumptions.shortInvocationMs) / 1000) * (assumptions.lambdaMemoryMb / 1024);
  const messages = 3 * runs;
  const writeUnits = 7 * runs;
  const readUnits = 1.5 * runs;
  const logGb = (runs * canary.logBytesPerRun) / GB;
  return bill([
    {
      item: "Lambda requests (canary, $connect, subscribe, $disconnect, fan-out)",
      quantity: runs + shortInvocations,
      unit: "invocations",
      cost: million(runs + shortInvocations, prices.lambdaRequestsPerMillion),
    },
    { item: "Lambda compute", quantity: gbSeconds, unit: "GB-s", cost: gbSeconds * prices.lambdaGbSecond },
    {
      item: "WebSocket connection minutes",
      quantity: runs,
      unit: "minutes",
      cost: million(runs, prices.websocketConnectionMinutesPerMillion),
    },
    {
      item: "WebSocket messages (subscribe, ack, push)",
      quantity: messages,
      unit: "messages",
      cost: million(messages, prices.websocketMessagesPerMillion),
    },
    { item: "DynamoDB writes", quantity: writeUnits, unit: "WRU", cost: million(writeUnits, prices.dynamodbWriteUnitsPerMillion) },
    { item: "DynamoDB reads", quantity: readUnits, unit: "RRU", cost: million(readUnits, prices.dynamodbReadUnitsPerMillion) },
    {
      item: "S3 PUT + GET (its snapshot)",
      quantity: 2 * runs,
      unit: "requests",
      cost: (runs / 1000) * (prices.s3PutPerThousand + prices.s3GetPerThousand),
    },
    {
      item: "CloudWatch metrics (CanarySuccess, CanaryLatencyMs)",
      quantity: 2,
      unit: "metrics",
      cost: 2 * prices.cloudWatchMetricPerMonth,
    },
    { item: "CloudWatch alarms (failure, p99 latency)", quantity: 2, unit: "alarms", cost: 2 * prices.cloudWatchAlarmPerMonth },
    { item: "CloudWatch dashboard", quantity: 1, unit: "dashboard", cost: prices.cloudWatchDashboardPerMonth },
    { item: "CloudWatch Logs ingestion", quantity: logGb, unit: "GB", cost: logGb * prices.cloudWatchLogsIngestionPerGb },
  ]);
}

export interface QuotaArithmetic {
  /** Seconds one broadcast to every fan takes at the account's request rate (if nothing else used it). */
  broadcastSecondsAtAccountRate: number;
  /** Seconds one fan-out invocation needs at the posts/s assumption, against its timeout. */
  broadcastSecondsPerInvocation: number;
  fanoutFitsTimeout: boolean;
  /** Parallel fan-out invocations needed to finish within the timeout at that rate. */
  invocationsNeededForTimeout: number;
  /** Seconds until every fan is back after a drop, at the new-connection quota. */
  reconnectStormSeconds: number;
  /** Polling GET/s on the one snapshot key, against S3's per-prefix rate. */
  pollGetsPerSecond: number;
  pollFitsS3PrefixRate: boolean;
  /** Mean staleness of a polling fan: half the interval, plus the pipeline. */
  pollMeanStalenessSeconds: number;
  /** Ping frames/s in a silence (halftime: no pushes, every visible page pings), against the WebSocket stage throttle. */
  pingsPerSecondInSilence: number;
  pingsFitWebsocketThrottle: boolean;
}

export function quotaArithmetic(workload: Workload, assumptions: Assumptions, quotas: Quotas): QuotaArithmetic {
  const perInvocation = workload.fans / assumptions.fanoutPostsPerSecond;
  const pollGetsPerSecond = workload.fans / workload.pollIntervalSeconds;
  const pingsPerSecondInSilence =
    (workload.fans * assumptions.visibleShare) / assumptions.visiblePingIntervalSeconds +
    (workload.fans * (1 - assumptions.visibleShare)) / (assumptions.hiddenPingIntervalMinutes * 60);
  return {
    broadcastSecondsAtAccountRate: workload.fans / quotas.accountRequestsPerSecond,
    broadcastSecondsPerInvocation: perInvocation,
    fanoutFitsTimeout: perInvocation <= quotas.fanoutTimeoutSeconds,
    invocationsNeededForTimeout: Math.ceil(perInvocation / quotas.fanoutTimeoutSeconds),
    reconnectStormSeconds: workload.fans / quotas.newConnectionsPerSecond,
    pollGetsPerSecond,
    pollFitsS3PrefixRate: workload.cloudFront || pollGetsPerSecond <= quotas.s3GetsPerSecondPerPrefix,
    pollMeanStalenessSeconds: workload.pollIntervalSeconds / 2,
    pingsPerSecondInSilence,
    pingsFitWebsocketThrottle: pingsPerSecondInSilence <= quotas.websocketStageRequestsPerSecond,
  };
}

/**
 * One broadcast to a big game (issue 12), split into tasks across the fan-out
 * task queue's workers. Each worker paces to budget / workers (push-budget.ts)
 * unless one invocation cannot post that fast; the stage's budget must stay
 * under the account's request quota, which every API call of the account
 * shares. A big audience is one task per subscription shard (each shard's
 * first page is full: 250 or more fans a shard, 16,000 or more for a game's
 * 64), so the tasks run in waves of `workers`, and each invocation of a task
 * pays the queue's hop. A paced worker is billed while it waits for its next
 * slot, so the compute is the tasks' duration.
 */
export interface BroadcastPlan {
  fans: number;
  /** Subscription shards of the topic's kind (topology `subscriptionShards`): one task each. */
  shards: number;
  /** The task consumer's maxConcurrency. */
  workers: number;
  /** PUSHGATE_FANOUT_RATE_PER_SECOND: posts/s the workers share. */
  budgetPerSecond: number;
  /** What one invocation posts per second flat out (measured; see BENCHMARKS.md). */
  invocationPostsPerSecond: number;
  timeoutSeconds: number;
  /** PUSHGATE_FANOUT_RESERVE_MS, in seconds. */
  reserveSeconds: number;
  memoryMb: number;
  /**
   * From a task's enqueue (or its continuation's) to its first post: the SQS
   * event source's receive, the invoke, the first Query. An assumption (not
   * measured on AWS): 0.1 s.
   */
  taskHopSeconds: number;
}

export interface Broadcast {
  /** Posts/s each worker makes: its share of the budget, or what one invocation can do if less. */
  workerRate: number;
  /** Posts/s of the whole broadcast, from the split to the last fan. */
  rate: number;
  /** Seconds from the split to the last fan (the stream's own latency to the split, ~1 s, is not included). */
  secondsToLastFan: number;
  /** Rounds of tasks: shards / workers, rounded up. */
  waves: number;
  /** Task invocations: one per shard, plus the continuations of tasks longer than one invocation's usable time. */
  invocations: number;
  gbSeconds: number;
  lambdaCost: number;
  /** The pushes themselves: WebSocket messages. */
  messagesCost: number;
  /** What to raise to go faster: the binding limit. */
  bindingLimit:
    | "budget (PUSHGATE_FANOUT_RATE_PER_SECOND, under the account's API Gateway request quota)"
    | "workers (maxConcurrency)"
    | "shards (the kind's subscriptionShards: fewer tasks than workers)";
}

export function broadcast(plan: BroadcastPlan, prices: Prices, quotas: Pick<Quotas, "accountRequestsPerSecond">): Broadcast {
  if (plan.budgetPerSecond > quotas.accountRequestsPerSecond)
    throw new Error(
      `a push budget of ${plan.budgetPerSecond}/s is above the account's ${quotas.accountRequestsPerSecond} requests/s: raise the quota first`,
    );
  const share = plan.budgetPerSecond / plan.workers;
  const workerRate = Math.min(share, plan.invocationPostsPerSecond);
  const waves = Math.ceil(plan.shards / plan.workers);
  const usableSeconds = plan.timeoutSeconds - plan.reserveSeconds;
  const pushSecondsPerTask = plan.fans / plan.shards / workerRate;
  const invocationsPerTask = Math.max(1, Math.ceil(pushSecondsPerTask / usableSeconds));
  const secondsPerTask = pushSecondsPerTask + invocationsPerTask * plan.taskHopSeconds;
  const secondsToLastFan = waves * secondsPerTask;
  const gbSeconds = plan.shards * secondsPerTask * (plan.memoryMb / 1024);
  const invocations = plan.shards * invocationsPerTask;
  return {
    workerRate,
    rate: plan.fans / secondsToLastFan,
    secondsToLastFan,
    waves,
    invocations,
    gbSeconds,
    lambdaCost: gbSeconds * prices.lambdaGbSecond + million(invocations, prices.lambdaRequestsPerMillion),
    messagesCost: million(plan.fans, prices.websocketMessagesPerMillion),
    bindingLimit:
      share > plan.invocationPostsPerSecond
        ? "workers (maxConcurrency)"
        : plan.shards < plan.workers
          ? "shards (the kind's subscriptionShards: fewer tasks than workers)"
          : "budget (PUSHGATE_FANOUT_RATE_PER_SECOND, under the account's API Gateway request quota)",
  };
}

/** pushgate's defaults (topology.ts, config.ts) for a game topic, with the lean client's measured rate. */
export const DEFAULT_BROADCAST: Omit<BroadcastPlan, "fans"> = {
  shards: subscriptionShards.game.count,
  workers: topology.queues.fanoutTasks.maxConcurrency,
  budgetPerSecond: 8_000,
  invocationPostsPerSecond: 3_400,
  timeoutSeconds: topology.queues.fanoutTasks.function.timeoutSeconds,
  reserveSeconds: 10,
  memoryMb: topology.queues.fanoutTasks.function.memoryMB,
  taskHopSeconds: 0.1,
};

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
import { approximateWatching, watchingIntervalMs } from "@pushgate/core/occupancy";
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
  websocketStageBurst: number;
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
  websocketStageBurst: topology.throttle.websocket.burstLimit,
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
  return pushBillWith(workload, prices, assumptions, pingsPerFan(workload, assumptions));
}

/** The push bill with `pings` pings per fan per event (0: what the bill would be without any). */
function pushBillWith(workload: Workload, prices: Prices, assumptions: Assumptions, pings: number): Bill {
  const { fans, hours, updates, eventsPerMonth: events } = workload;
  const memoryGb = assumptions.lambdaMemoryMb / 1024;

  // Per event, then times the events of a month.
  const connectionMinutes = fans * hours * 60 * events;
  // Out: every push, the subscribed ack, every pong. In: the subscribe frame, every ping.
  const pushes = billedMessages(fans * updates, workload.messageBytes) * events;
  const routeMessages = fans * (2 + 2 * pings) * events;
  const messages = pushes + routeMessages;
  const sessions = fans * sessionsPerFan(workload, assumptions) * events;
  // The page's first connect fetches the snapshots in parallel with the socket: one GET /snapshots per fan.
  const startUrls = fans * events;
  const httpRequests = sessions + startUrls + updates * events;
  // $connect, subscribe, every ping and $disconnect per fan; the session route; the score route per update.
  const shortInvocations = fans * (3 + pings) * events + sessions + startUrls + updates * events;
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
  // One snapshot GET per fan: the first connect's (the subscribe's resync then finds nothing newer).
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
      item: "HTTP API requests (sessions, first snapshots, producer)",
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
    { item: "S3 GET (first snapshot)", quantity: s3Gets, unit: "requests", cost: (s3Gets / 1000) * prices.s3GetPerThousand },
    {
      item: "S3 HEAD (snapshot seq before its write)",
      quantity: s3Heads,
      unit: "requests",
      cost: (s3Heads / 1000) * prices.s3GetPerThousand,
    },
    { item: "Data transfer out", quantity: transferGb, unit: "GB", cost: transferGb * prices.dataTransferOutPerGb },
  ]);
}

/**
 * What the pings add to the push bill, line by line: the bill minus the same
 * bill without pings. Each ping is a message in and its pong out (the route
 * response: no PostToConnection), a Lambda invocation of the `ping` route and
 * the conditional write that takes a token from the connection's frame-rate
 * bucket. That write stays: the bucket is what stops one connection from
 * flooding any route (pings included), and it must be shared by every Lambda
 * instance, so it lives on the connection's item; no ping can be counted
 * without writing something.
 */
export interface PingCost {
  pingsPerFanPerEvent: number;
  pingsPerMonth: number;
  /** The lines of the push bill that pings add to (messages, Lambda requests and compute, DynamoDB writes), with what pings add. */
  lines: LineItem[];
  total: number;
  /** `total` as a share of the push bill's total. */
  shareOfPushBill: number;
}

/** What each line of the push bill is, for the part the pings add to it. */
const PING_LINE_NAMES: [prefix: string, name: string][] = [
  ["WebSocket messages", "WebSocket messages (pings in, pongs out)"],
  ["Lambda requests", "Lambda requests (the ping route)"],
  ["Lambda compute", "Lambda compute (the ping route)"],
  ["DynamoDB writes", "DynamoDB writes (the frame-rate token)"],
];

export function pingCost(workload: Workload, prices: Prices, assumptions: Assumptions): PingCost {
  const pings = pingsPerFan(workload, assumptions);
  const withPings = pushBillWith(workload, prices, assumptions, pings);
  const without = pushBillWith(workload, prices, assumptions, 0);
  const lines = withPings.lines
    .map((entry, index) => {
      const other = without.lines[index]!;
      const item = PING_LINE_NAMES.find(([prefix]) => entry.item.startsWith(prefix))?.[1] ?? entry.item;
      return { ...entry, item, quantity: entry.quantity - other.quantity, cost: entry.cost - other.cost };
    })
    .filter((entry) => entry.quantity > 0);
  const total = withPings.total - without.total;
  return {
    pingsPerFanPerEvent: pings,
    pingsPerMonth: pings * workload.fans * workload.eventsPerMonth,
    lines,
    total,
    shareOfPushBill: total / withPings.total,
  };
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
  /**
   * Ping frames/s `visiblePingIntervalSeconds` after a push, when no other push
   * follows within that time: every visible page pings 30 s after the push
   * reached it, so the pings come at the pace the push went out (the push
   * budget), in step. 0 when pushes come more often than the visible cadence.
   */
  pingsPerSecondAfterPush: number;
  /** Of those, how many one such wave has throttled (answered "Too Many Requests"; the client keeps its socket). */
  pingsThrottledAfterPush: number;
}

export function quotaArithmetic(
  workload: Workload,
  assumptions: Assumptions,
  quotas: Quotas,
  /** Posts/s a broadcast goes out at: the push budget (PUSHGATE_FANOUT_RATE_PER_SECOND). */
  pushPostsPerSecond: number = DEFAULT_BROADCAST.budgetPerSecond,
): QuotaArithmetic {
  const perInvocation = workload.fans / assumptions.fanoutPostsPerSecond;
  const pollGetsPerSecond = workload.fans / workload.pollIntervalSeconds;
  const pingsPerSecondInSilence =
    (workload.fans * assumptions.visibleShare) / assumptions.visiblePingIntervalSeconds +
    (workload.fans * (1 - assumptions.visibleShare)) / (assumptions.hiddenPingIntervalMinutes * 60);
  const secondsBetweenPushes = (workload.hours * 3600) / (workload.updates + 1);
  const pingWave = secondsBetweenPushes > assumptions.visiblePingIntervalSeconds;
  const visibleFans = workload.fans * assumptions.visibleShare;
  const pushSeconds = workload.fans / pushPostsPerSecond;
  const pingsPerSecondAfterPush = pingWave ? visibleFans / pushSeconds : 0;
  // A token bucket: its burst absorbs the wave's start, then it passes its rate.
  const passed = quotas.websocketStageRequestsPerSecond * pushSeconds + quotas.websocketStageBurst;
  const pingsThrottledAfterPush = pingWave ? Math.max(0, visibleFans - passed) : 0;
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
    pingsPerSecondAfterPush,
    pingsThrottledAfterPush,
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

// ---- occupancy: how many fans watch a game (usecases/occupancy.ts) ----------------------

/** How an audience comes and goes, for the `watching` count's pushes. */
export interface OccupancyProfile {
  /** Minutes over which the audience arrives (linearly) before kickoff, and leaves after the final whistle. */
  rampMinutes: number;
  /** In between, the rounded count (two significant digits) changes about once every this many minutes (churn). */
  steadyChangeMinutes: number;
  /** Score updates in the steady part carry the latest count for free; only a change with none in its interval is pushed. */
  carriedByUpdates: boolean;
}

export const DEFAULT_OCCUPANCY: OccupancyProfile = { rampMinutes: 20, steadyChangeMinutes: 5, carriedByUpdates: true };

export interface OccupancyPushes {
  /** Count pushes per event (each a broadcast to the game's audience at that moment). */
  pushes: number;
  /** Messages those pushes cost per event. */
  messages: number;
  /** The bound whatever the churn: a push every interval at the full audience, for the whole event. */
  worstCaseMessages: number;
  /** The same as a share of the event's score pushes (fans x updates). */
  shareOfScorePushes: number;
}

/**
 * Count pushes of one event: while the audience ramps up (and down) the
 * rounded count changes at every interval, so a push goes out each
 * `watchingIntervalMs(audience)`, to that audience; in the steady part it
 * changes every `steadyChangeMinutes` at most, and a score update within the
 * interval carries it (the update is pushed anyway), so only the heartbeat of
 * a change no update carried costs messages.
 */
export function occupancyPushes(workload: Workload, profile: OccupancyProfile = DEFAULT_OCCUPANCY): OccupancyPushes {
  const { fans, hours, updates } = workload;
  const rampSeconds = Math.min(profile.rampMinutes * 60, (hours * 3600) / 2);
  let pushes = 0;
  let messages = 0;
  // One ramp, pushed at every interval; the other ramp is its mirror.
  for (let t = 0; t < rampSeconds; ) {
    const audience = Math.max(1, Math.round((fans * t) / rampSeconds));
    pushes += 2;
    messages += 2 * approximateWatching(audience);
    t += watchingIntervalMs(audience) / 1000;
  }
  const steadySeconds = hours * 3600 - 2 * rampSeconds;
  const interval = watchingIntervalMs(fans) / 1000;
  const changeEvery = Math.max(profile.steadyChangeMinutes * 60, interval);
  const changes = Math.floor(steadySeconds / changeEvery);
  // A change is pushed on its own only if no score update falls in the interval after it (updates spread evenly).
  const updateGap = updates > 0 ? (hours * 3600) / updates : Number.POSITIVE_INFINITY;
  const heartbeats = profile.carriedByUpdates && updateGap <= interval ? 0 : changes;
  pushes += heartbeats;
  messages += heartbeats * fans;
  const worstCaseMessages = Math.floor((hours * 3600) / interval) * fans;
  return { pushes, messages, worstCaseMessages, shareOfScorePushes: messages / (fans * Math.max(1, updates)) };
}

/**
 * The monthly bill of occupancy on top of pushBill: the count pushes (messages,
 * their fan-out compute, the game item write and the fan-out invocation of
 * each), the tally consumer (one invocation per batching window while fans
 * arrive or leave, a counter write per subscription shard touched and the
 * counters' read), and the heartbeat (a run a minute, a Scan of the games
 * table; at worst waiting its whole minute during a game).
 */
export function occupancyBill(
  workload: Workload,
  prices: Prices,
  assumptions: Assumptions,
  profile: OccupancyProfile = DEFAULT_OCCUPANCY,
  // The counters sit on the game kind's subscription shards.
  shards = subscriptionShards.game.count,
): Bill {
  const { fans, hours, eventsPerMonth: events } = workload;
  const { messages, pushes } = occupancyPushes(workload, profile);
  const memoryGb = assumptions.lambdaMemoryMb / 1024;
  const tally = topology.consumers.watchersTally;
  const heartbeat = topology.schedules.watchingHeartbeat.function;
  // Every fan subscribes and leaves once: 2 records each, in batches of batchSize or one per window while the ramps last.
  const rampSeconds = Math.min(profile.rampMinutes * 60, (hours * 3600) / 2);
  const tallyInvocations = Math.max((2 * fans) / tally.batchSize, (2 * rampSeconds) / Math.max(1, tally.maxBatchingWindowSeconds)) * events;
  const heartbeatRuns = 60 * 24 * 30;
  const heartbeatBusySeconds = hours * 3600 * events; // waiting for a due push during a game: the worst case
  const gbSeconds =
    ((messages * events) / assumptions.fanoutPostsPerSecond) * memoryGb +
    ((tallyInvocations * assumptions.shortInvocationMs) / 1000) * (tally.function.memoryMB / 1024) +
    heartbeatBusySeconds * (heartbeat.memoryMB / 1024);
  const invocations = tallyInvocations + heartbeatRuns + pushes * events;
  // Per tally invocation: a counter write per shard its records touched (no more shards than records) and the
  // game item (a push or a carry). Per push: none more.
  const recordsPerInvocation = (2 * fans * events) / Math.max(1, tallyInvocations);
  const writeUnits = tallyInvocations * (Math.min(shards, Math.ceil(recordsPerInvocation)) + 1);
  // Per tally invocation: the game item (consistent, 1) and the counters (BatchGet, eventually consistent, 0.5 each).
  const readUnits = tallyInvocations * (1 + shards * 0.5) + heartbeatRuns * 1;
  return bill([
    {
      item: "WebSocket messages (count pushes)",
      quantity: messages * events,
      unit: "messages",
      cost: websocketMessageCost(messages * events, prices),
    },
    {
      item: "Lambda requests (tally, heartbeat, count fan-outs)",
      quantity: invocations,
      unit: "invocations",
      cost: million(invocations, prices.lambdaRequestsPerMillion),
    },
    {
      item: "Lambda compute (count fan-outs, tally, heartbeat)",
      quantity: gbSeconds,
      unit: "GB-s",
      cost: gbSeconds * prices.lambdaGbSecond,
    },
    {
      item: "DynamoDB writes (counters, game item)",
      quantity: writeUnits,
      unit: "WRU",
      cost: million(writeUnits, prices.dynamodbWriteUnitsPerMillion),
    },
    {
      item: "DynamoDB reads (counters, game item)",
      quantity: readUnits,
      unit: "RRU",
      cost: million(readUnits, prices.dynamodbReadUnitsPerMillion),
    },
  ]);
}

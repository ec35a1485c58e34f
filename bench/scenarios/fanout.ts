/**
 * Scenario 1 (fan-out) and 2 (the machine's limits), on the same sockets:
 * N clients in the fan processes subscribe to one game; K score publishes go
 * through the HTTP API; each client's receipt is timed against the request's
 * start. Then the same clients get the same-sized messages from (b) a raw
 * POST loop and (c) the SDK loop to @connections, and a second set of N
 * sockets gets them from (a) a bare `ws` broadcast.
 */
import { epochMs, sleep } from "../lib/clock";
import {
  benchFrame,
  postRounds,
  rawManagementPoster,
  sdkManagementPoster,
  signedManagementPoster,
  startBareBroadcastServer,
  type ManagementPoster,
} from "../lib/baselines";
import { localCloudCredentials, serverMemory, type BenchContext } from "../lib/context";
import type { CollectedReply, OpenedReply } from "../lib/fan-protocol";
import { latencies, mergeReceipts, type LatencyResult, type SentMessage } from "../lib/latency";
import { scoreProducer } from "../lib/producer";
import { progress } from "../lib/progress";
import { round, summarize, type Summary } from "../lib/stats";
import { subscriberIds } from "../lib/subscribers";
import { startCpuProfile } from "../lib/cpu-profile";

export interface FanoutRun {
  n: number;
  publishes: number;
  pushgate: LatencyResult;
  bareWs: LatencyResult;
  rawPost: LatencyResult;
  /** (b'): the lean client's SigV4 + keep-alive loop; absent in runs before it existed. */
  signedPost?: LatencyResult;
  sdkPost: LatencyResult;
  /** pushgate's fan-out rate as a fraction of each baseline's. */
  ratio: { bareWs: number; rawPost: number; sdkPost: number };
  setup: { opened: number; failed: number; refused429: number; seconds: number };
  /** One row per publication, in order: where its time went (the first one, steady ones, the one after the quiet pause). */
  publications: PublicationTiming[];
  /** Latency of the first publication after setup, of the steady ones after it, and of one after `quietS` s without any (when run). */
  phases: { first: Summary; steady: Summary; afterQuiet?: Summary; quietS?: number };
  memory: {
    rssBeforeMB: number;
    rssAfterMB: number;
    heapBeforeMB: number;
    heapAfterMB: number;
    rssPer1000MB: number;
    heapPer1000MB: number;
  };
}

/** New sockets per second over all fan processes: under the gateway's 500/s quota, so setup is not a storm. */
const SETUP_RATE = 400;
const FANOUT_CONCURRENCY = Number(process.env.PUSHGATE_FANOUT_CONCURRENCY ?? 50);

async function collect(context: BenchContext): Promise<Map<string, number[]>> {
  const parts = await context.fleet.all<CollectedReply>(() => ({ type: "collect" }), 60_000);
  return mergeReceipts(parts.map((part) => part.receipts));
}

async function openSockets(context: BenchContext, n: number, url: string, authenticated: { topic: string } | undefined) {
  const shares = context.fleet.share(n);
  const replies = await context.fleet.all<OpenedReply>(
    (index) =>
      shares[index]! === 0
        ? undefined
        : {
            type: "open-sockets",
            url,
            count: shares[index]!,
            ratePerSecond: SETUP_RATE / context.fleet.size,
            ...(authenticated && { httpApiUrl: context.cloud.endpoints.httpApiUrl!, subscribe: [authenticated.topic] }),
          },
    300_000,
  );
  const live = replies.filter(Boolean);
  return {
    opened: live.reduce((total, reply) => total + reply.opened, 0),
    failed: live.reduce((total, reply) => total + reply.failed, 0),
    refused429: live.reduce((total, reply) => total + reply.refused429, 0),
    seconds: Math.max(...live.map((reply) => reply.ms)) / 1000,
  };
}

/** A frame the size and shape of a score-update push, on its own topic so receipts cannot mix. */
function postLoopRounds(context: BenchContext, poster: ManagementPoster, ids: string[], topic: string, rounds: number, n: number) {
  return postRounds(context.fleet, poster, ids, { topic, rounds, audience: n, settleMs: 200, collectTimeoutMs: 60_000 });
}

/**
 * Where one publication's time went, from the producer's request start (ms):
 * the HTTP API's answer (the games table write is done), the first and the
 * last receipt, and the receipts' p50/p99. First receipt minus the answer is
 * the stream poll, the handler invocation, the subscriber Query and one post.
 */
export interface PublicationTiming {
  seq: number;
  phase: "first" | "steady" | "after-quiet";
  answeredMs: number;
  firstReceiptMs: number;
  p50Ms: number;
  p99Ms: number;
  lastReceiptMs: number;
  delivered: number;
}

function publicationTimings(
  sent: (SentMessage & { seq: number; answeredAt: number; phase: PublicationTiming["phase"] })[],
  receipts: Map<string, number[]>,
) {
  return sent.map((publication): PublicationTiming => {
    const summary = summarize((receipts.get(publication.key) ?? []).map((at) => at - publication.startedAt));
    return {
      seq: publication.seq,
      phase: publication.phase,
      answeredMs: round(publication.answeredAt - publication.startedAt),
      firstReceiptMs: round(summary.min),
      p50Ms: round(summary.p50),
      p99Ms: round(summary.p99),
      lastReceiptMs: round(summary.max),
      delivered: summary.count,
    };
  });
}

/** `quietS`: after the K publishes, wait that long without any and publish once more (the "after a quiet minute" case). */
export async function runFanout(context: BenchContext, n: number, publishes: number, quietS = 0): Promise<FanoutRun> {
  const { cloud } = context;
  const gameId = `fan${n}`;
  const topic = `game/${gameId}`;
  const producer = scoreProducer(cloud.endpoints.httpApiUrl!, cloud.endpoints.operatorKey, gameId);

  const before = serverMemory();
  progress(`fan-out N=${n}: opening ${n} sockets (token, $connect, subscribe each) at ${SETUP_RATE}/s`);
  const setup = await openSockets(context, n, cloud.endpoints.websocketUrl, { topic });
  await sleep(500);
  const after = serverMemory();
  progress(
    `fan-out N=${n}: ${setup.opened} subscribed (${setup.failed} failed, ${setup.refused429} refused 429) in ${setup.seconds.toFixed(1)} s; server RSS +${(after.rssMB - before.rssMB).toFixed(1)} MB`,
  );

  // --- pushgate: HTTP API -> games table -> stream -> fan-out Lambda -> @connections -> ws
  const sent: (SentMessage & { seq: number; answeredAt: number; phase: PublicationTiming["phase"] })[] = [];
  // BENCH_CPU_PROFILE=<dir>: .cpuprofiles of the server process and its handler workers, one set per
  // publication (so the first, a steady one and the one after the quiet pause compare), not setup, not the baselines.
  const total = publishes + (quietS > 0 ? 1 : 0);
  for (let index = 1; index <= total; index++) {
    const afterQuiet = index > publishes;
    if (afterQuiet) {
      progress(`fan-out N=${n}: ${quietS} s without publications`);
      await sleep(quietS * 1000);
    }
    const phase: PublicationTiming["phase"] = index === 1 ? "first" : afterQuiet ? "after-quiet" : "steady";
    const profile = await startCpuProfile(`fanout-${n}-${String(index).padStart(2, "0")}-${phase}`);
    const publication = await producer.publish(index, index - 1, `bench play ${index}`);
    sent.push({
      key: `${topic}#${publication.seq}`,
      startedAt: publication.startedAt,
      seq: publication.seq,
      answeredAt: publication.answeredAt,
      phase,
    });
    // One publication at a time: the stream would otherwise conflate them (newest seq per batch).
    await cloud.drained(120_000);
    await sleep(100);
    await profile?.stop();
    progress(`fan-out N=${n}: publish ${index}/${total} (seq ${publication.seq}) delivered`);
  }
  const receipts = await collect(context);
  const publications = publicationTimings(sent, receipts);
  for (const row of publications)
    progress(
      `  seq ${row.seq} (${row.phase}): answered ${row.answeredMs} ms, first ${row.firstReceiptMs}, p50 ${row.p50Ms}, p99 ${row.p99Ms}, last ${row.lastReceiptMs} ms (${row.delivered} delivered)`,
    );
  const phaseLatency = (phase: PublicationTiming["phase"]) =>
    latencies(
      sent.filter((publication) => publication.phase === phase),
      receipts,
      setup.opened,
    ).latencyMs;
  const phases: FanoutRun["phases"] = {
    first: phaseLatency("first"),
    steady: phaseLatency("steady"),
    ...(quietS > 0 && { afterQuiet: phaseLatency("after-quiet"), quietS }),
  };
  const pushgate = latencies(sent, receipts, setup.opened);
  progress(
    `fan-out N=${n}: pushgate p50 ${pushgate.latencyMs.p50.toFixed(0)} ms, p99 ${pushgate.latencyMs.p99.toFixed(0)} ms, ${pushgate.fanoutRate.toFixed(0)} msg/s; ${pushgate.delivered}/${pushgate.expected} delivered`,
  );

  if (process.env.BENCH_SKIP_BASELINES) {
    await context.fleet.all(() => ({ type: "close-sockets" }), 60_000);
    await sleep(1000);
    const none = pushgate;
    return {
      n,
      publishes,
      pushgate,
      bareWs: none,
      rawPost: none,
      sdkPost: none,
      ratio: { bareWs: 1, rawPost: 1, sdkPost: 1 },
      setup,
      publications,
      phases,
      memory: {
        rssBeforeMB: round(before.rssMB),
        rssAfterMB: round(after.rssMB),
        heapBeforeMB: round(before.heapUsedMB),
        heapAfterMB: round(after.heapUsedMB),
        rssPer1000MB: 0,
        heapPer1000MB: 0,
      },
    };
  }

  // --- (b) and (c) on the same sockets
  const ids = await subscriberIds(
    cloud.endpoints.dynamodbEndpoint,
    localCloudCredentials(cloud),
    cloud.endpoints.tables.subscriptions!,
    topic,
  );
  const rounds = Math.max(3, Math.min(publishes, 5));
  progress(
    `fan-out N=${n}: (b) raw keep-alive POST loop to @connections, ${rounds} rounds to ${ids.length} connections, concurrency ${FANOUT_CONCURRENCY}`,
  );
  const raw = rawManagementPoster(cloud.endpoints.managementEndpoint, FANOUT_CONCURRENCY, cloud.adminCredentials);
  const rawPost = await postLoopRounds(context, raw, ids, "bench/raw", rounds, ids.length);
  raw.close();
  progress(`fan-out N=${n}: (b) ${rawPost.fanoutRate.toFixed(0)} msg/s; (b') the same through the lean SigV4 client`);
  const signed = signedManagementPoster(cloud.endpoints.managementEndpoint, FANOUT_CONCURRENCY, cloud.adminCredentials);
  const signedPost = await postLoopRounds(context, signed, ids, "bench/signed", rounds, ids.length);
  signed.close();
  progress(`fan-out N=${n}: (b') ${signedPost.fanoutRate.toFixed(0)} msg/s; (c) the same through the AWS SDK`);
  const sdk = sdkManagementPoster(cloud.endpoints.managementEndpoint, FANOUT_CONCURRENCY, cloud.adminCredentials);
  const sdkPost = await postLoopRounds(context, sdk, ids, "bench/sdk", rounds, ids.length);
  sdk.close();
  progress(`fan-out N=${n}: (c) ${sdkPost.fanoutRate.toFixed(0)} msg/s; closing the gateway sockets`);
  await context.fleet.all(() => ({ type: "close-sockets" }), 60_000);

  // --- (a) bare ws broadcast to a fresh set of N sockets
  const bare = await startBareBroadcastServer();
  let bareWs: LatencyResult;
  try {
    progress(`fan-out N=${n}: (a) opening ${n} sockets to a bare ws server`);
    await openSockets(context, n, bare.url, undefined);
    const bareSent: SentMessage[] = [];
    for (let seq = 1; seq <= rounds; seq++) {
      const startedAt = epochMs();
      bare.broadcast(benchFrame("bench/ws", seq));
      bareSent.push({ key: `bench/ws#${seq}`, startedAt });
      await sleep(300);
    }
    bareWs = latencies(bareSent, await collect(context), bare.clients());
    progress(`fan-out N=${n}: (a) ${bareWs.fanoutRate.toFixed(0)} msg/s`);
    await context.fleet.all(() => ({ type: "close-sockets" }), 60_000);
  } finally {
    await bare.stop();
  }
  // $disconnect of the gateway sockets runs in the background; let it finish before the next size.
  await sleep(1000);

  return {
    n,
    publishes,
    pushgate,
    bareWs,
    rawPost,
    signedPost,
    sdkPost,
    ratio: {
      bareWs: round(pushgate.fanoutRate / bareWs.fanoutRate, 3),
      rawPost: round(pushgate.fanoutRate / rawPost.fanoutRate, 3),
      sdkPost: round(pushgate.fanoutRate / sdkPost.fanoutRate, 3),
    },
    setup,
    publications,
    phases,
    memory: {
      rssBeforeMB: round(before.rssMB),
      rssAfterMB: round(after.rssMB),
      heapBeforeMB: round(before.heapUsedMB),
      heapAfterMB: round(after.heapUsedMB),
      rssPer1000MB: round(((after.rssMB - before.rssMB) / setup.opened) * 1000, 2),
      heapPer1000MB: round(((after.heapUsedMB - before.heapUsedMB) / setup.opened) * 1000, 2),
    },
  };
}

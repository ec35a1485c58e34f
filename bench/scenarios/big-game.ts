/**
 * The big game (issue 12, Show): N real WebSocket clients (20,000 or 50,000
 * on a machine that allows the file descriptors) subscribed to one game, five
 * score publications through the whole path (HTTP API, games table, stream,
 * fan-out, @connections, ws), and the check that every client got every
 * publication. Then the same clients get the same-sized messages from a raw
 * signed POST loop to @connections at the fan-out's own parallelism, the
 * baseline the fan-out's delivery rate is compared with.
 *
 * The clients live in several fan processes of their own, each from its own
 * loopback source address (127.0.0.x): one address has ~28,000 ephemeral
 * ports toward the gateway's port. The gateway's sockets are held by the
 * server process (this one), or past 15,000 clients by socket holder
 * processes (the local cloud's gatewayProcesses, one per 15,000), so N is
 * bounded by each one's open-files limit; the scenario says so before it
 * starts rather than failing half-way.
 *
 * Independent of how the fan-out is split (one invocation today, several once
 * fan-out across invocations lands): it measures from the outside.
 */
import { readFileSync } from "node:fs";
import { fanoutSettingsFromEnv } from "@pushgate/core/config";
import { topology } from "@pushgate/core/topology";
import { epochMs, sleep } from "../lib/clock";
import { postRounds, rawManagementPoster } from "../lib/baselines";
import { localCloudCredentials, serverMemory, type BenchContext } from "../lib/context";
import { FanFleet } from "../lib/fan-fleet";
import type { AuditReply, CollectedReply, OpenedReply } from "../lib/fan-protocol";
import { startCpuProfile } from "../lib/cpu-profile";
import { latencies, mergeReceipts, type LatencyResult, type SentMessage } from "../lib/latency";
import { scoreProducer } from "../lib/producer";
import { progress } from "../lib/progress";
import { round, summarize, type Summary } from "../lib/stats";
import { subscriberIds } from "../lib/subscribers";

export interface BigGameOptions {
  fans: number;
  publishes: number;
}

export interface BigGamePublication {
  seq: number;
  delivered: number;
  /** Request start to the last fan's receipt. */
  timeToLastFanMs: number;
  p50Ms: number;
  p99Ms: number;
  /** (deliveries − 1) ÷ (last receipt − first receipt). */
  deliveryRate: number;
}

export interface BigGameResult {
  fans: number;
  publishes: number;
  fanProcesses: number;
  sourceAddresses: string[];
  openFilesLimit: number;
  /** Processes holding the gateway's sockets: 1 is the server process itself, more are the local cloud's socket holders. */
  gatewayProcesses: number;
  setup: { opened: number; failed: number; refused429: number; seconds: number; perSecond: number };
  pushgate: { latencyMs: Summary; delivered: number; expected: number; deliveryRate: number; endToEndRate: number };
  publications: BigGamePublication[];
  /** Per socket: sockets that missed at least one publication (must be 0), and pushes a socket got twice (at least once allows it). */
  audit: AuditReply;
  rawPost: { latencyMs: Summary; delivered: number; expected: number; deliveryRate: number; concurrency: number; rounds: number };
  /** The same loop at one invocation's pool, when the fan-out was split (context for the ratio, not part of it). */
  rawPostOnePool?: BigGameResult["rawPost"];
  /** pushgate's delivery rate ÷ the raw POST loop's, the same sockets, the same parallelism (issue 12: at least 0.8). */
  ratioToRawPost: number;
  /**
   * The server process (gateway, HTTP API, handler workers, pollers) before
   * and after the N sockets were open, after a full GC; RSS and per
   * connection include the socket holder processes (holdersRss*).
   */
  memory: {
    rssBeforeMB: number;
    rssAfterMB: number;
    holdersRssBeforeMB: number;
    holdersRssAfterMB: number;
    heapBeforeMB: number;
    heapAfterMB: number;
    rssPerConnectionKB: number;
    heapPerConnectionKB: number;
  };
}

/**
 * The gateway's limits for a big game: the idle timeout at the 2 h hard limit.
 * Setting up 50,000 clients takes longer than API Gateway's 10-minute idle
 * timeout here, and the fans' pings that keep a real page's socket (a hidden
 * one: every 5 minutes, 167/s at 50,000) would take the route capacity the
 * setup needs on 2 cores. Delivery, which the scenario measures, does not
 * depend on it.
 */
export const BIG_GAME_GATEWAY_LIMITS = { idleTimeoutMs: 2 * 60 * 60 * 1000 } as const;

/** New sockets per second in total: under the gateway's 500/s quota, so setup is not a storm. */
const SETUP_RATE = 400;
/** Handshakes in flight per fan process. */
const SETUP_CONCURRENCY = 12;
/** Sockets per fan process at most: a fan process is one event loop, and its receipts are its own measurement. */
const SOCKETS_PER_PROCESS = 6250;
/** Descriptors the server process needs besides the gateway's sockets (DynamoDB/S3 fronts, pollers, keep-alive pools, files). */
const SERVER_DESCRIPTOR_HEADROOM = 600;
/** Descriptors a socket holder needs besides its sockets (IPC channel, stdio, node's own). */
const HOLDER_DESCRIPTOR_HEADROOM = 100;
/** Sockets per gateway process when the bench picks their number: well under this machine's 20,000 open files. */
const SOCKETS_PER_GATEWAY_PROCESS = 15_000;

/** Gateway processes for a big game of `fans` clients: the server process alone up to 15,000, then one holder per 15,000. */
export const gatewayProcessesFor = (fans: number) => Math.ceil(fans / SOCKETS_PER_GATEWAY_PROCESS);
const fanout = fanoutSettingsFromEnv(process.env);

/**
 * Posts in flight in pushgate's fan-out of `fans`: one invocation's pool, or,
 * above the split, every task worker's at once. The raw baseline runs at the
 * same number, so the ratio compares the path, not the parallelism.
 */
export function fanoutParallelism(fans: number, settings = fanout): number {
  const workers = fans > settings.fanoutSplitAbove ? topology.queues.fanoutTasks.maxConcurrency : 1;
  return settings.fanoutConcurrency * workers;
}

/** The soft "Max open files" of this process, which holds every gateway socket. */
export function openFilesLimit(): number {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((text) => text.startsWith("Max open files"));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === "unlimited" ? Number.POSITIVE_INFINITY : Number(soft);
}

/**
 * Refuses a size the gateway's processes cannot hold, with what to do next.
 * With holders (gatewayProcesses > 1) each holds its share and has the same
 * soft limit (a child inherits it); the server process then holds only
 * handshakes in flight.
 */
export function checkServerCanHold(fans: number, limit = openFilesLimit(), gatewayProcesses = 1): void {
  if (gatewayProcesses > 1) {
    const share = Math.ceil(fans / gatewayProcesses);
    if (share + HOLDER_DESCRIPTOR_HEADROOM <= limit && SERVER_DESCRIPTOR_HEADROOM <= limit) return;
    const enough = Math.ceil(fans / Math.max(1, limit - HOLDER_DESCRIPTOR_HEADROOM));
    throw new Error(
      `the big game with ${fans.toLocaleString("en-US")} clients in ${gatewayProcesses} gateway processes puts ~${(share + HOLDER_DESCRIPTOR_HEADROOM).toLocaleString("en-US")} open files in each, and their limit is ${limit.toLocaleString("en-US")}. ` +
        `Run with --gateway-processes ${enough} or more, or raise the limit (\`ulimit -n\`) before starting the bench.`,
    );
  }
  if (fans + SERVER_DESCRIPTOR_HEADROOM <= limit) return;
  throw new Error(
    `the big game with ${fans.toLocaleString("en-US")} clients needs ~${(fans + SERVER_DESCRIPTOR_HEADROOM).toLocaleString("en-US")} open files in the server process (every gateway socket is one), and its limit is ${limit.toLocaleString("en-US")}. ` +
      `Raise it before starting the bench (\`ulimit -n ${fans + 10_000} && npm run bench -- --only big-game --fans ${fans}\`; above the hard limit that needs root with CAP_SYS_RESOURCE or /etc/security/limits.conf), run with --fans ${Math.max(0, limit - SERVER_DESCRIPTOR_HEADROOM)} or fewer, or spread the sockets over socket processes (--gateway-processes ${Math.ceil(fans / Math.max(1, limit - HOLDER_DESCRIPTOR_HEADROOM))}).`,
  );
}

/** The summed resident memory of processes (the socket holders), from /proc/<pid>/status. */
function processesRssMB(pids: number[]): number {
  let kB = 0;
  for (const pid of pids) {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((text) => text.startsWith("VmRSS:"));
    kB += Number(line?.split(/\s+/)[1] ?? 0);
  }
  return kB / 1024;
}

/** `127.0.0.2`, `127.0.0.3`, ...: one source address per fan process (each holds well under the ~28,000 ephemeral ports of one). */
const sourceAddress = (index: number) => `127.0.0.${2 + index}`;

/** Every few seconds while `work` runs: how many sockets are open so far. */
async function withOpenProgress<T>(fleet: FanFleet, total: number, started: number, work: Promise<T>): Promise<T> {
  let done = false;
  const reporter = (async () => {
    while (!done) {
      await sleep(5000);
      if (done) break;
      const replies = await fleet.all<{ opened: number }>(() => ({ type: "open-progress" }), 10_000).catch(() => []);
      const opened = replies.reduce((sum, reply) => sum + (reply?.opened ?? 0), 0);
      const seconds = (Date.now() - started) / 1000;
      progress(
        `big game: ${opened.toLocaleString("en-US")}/${total.toLocaleString("en-US")} subscribed after ${seconds.toFixed(0)} s (${(opened / seconds).toFixed(0)}/s)`,
      );
    }
  })();
  try {
    return await work;
  } finally {
    done = true;
    await reporter;
  }
}

function publicationRow(seq: number, startedAt: number, times: number[]): BigGamePublication {
  const summary = summarize(times.map((at) => at - startedAt));
  const first = Math.min(...times);
  const last = Math.max(...times);
  return {
    seq,
    delivered: times.length,
    timeToLastFanMs: round(summary.max),
    p50Ms: round(summary.p50),
    p99Ms: round(summary.p99),
    deliveryRate: times.length > 1 ? round((times.length - 1) / ((last - first) / 1000)) : Number.NaN,
  };
}

export async function runBigGame(context: BenchContext, options: BigGameOptions): Promise<BigGameResult> {
  const { cloud } = context;
  const { fans, publishes } = options;
  const limit = openFilesLimit();
  const holders = cloud.gatewayProcessIds();
  const gatewayProcesses = Math.max(1, holders.length);
  checkServerCanHold(fans, limit, gatewayProcesses);
  const processes = Math.max(2, Math.ceil(fans / SOCKETS_PER_PROCESS));
  const sourceAddresses = Array.from({ length: processes }, (_, index) => sourceAddress(index));
  const gameId = `big${fans}`;
  const topic = `game/${gameId}`;
  const producer = scoreProducer(cloud.endpoints.httpApiUrl!, cloud.endpoints.operatorKey, gameId);

  progress(
    `big game: ${fans.toLocaleString("en-US")} clients in ${processes} fan processes from ${sourceAddresses.join(", ")} (server open-files limit ${limit}; gateway sockets in ${holders.length > 0 ? `${holders.length} holder processes` : "the server process"}); opening at ${SETUP_RATE}/s`,
  );
  const fleet = FanFleet.start(processes);
  try {
    const before = serverMemory();
    const holdersBeforeMB = processesRssMB(holders);
    const shares = fleet.share(fans);
    const started = Date.now();
    // BENCH_CPU_PROFILE=<dir>: .cpuprofiles of the server process and its handler workers over the setup and each publication.
    const setupProfile = await startCpuProfile(`big-game-${fans}-setup`);
    const opening = fleet.all<OpenedReply>(
      (index) => ({
        type: "open-sockets",
        url: cloud.endpoints.websocketUrl,
        count: shares[index]!,
        ratePerSecond: SETUP_RATE / processes,
        httpApiUrl: cloud.endpoints.httpApiUrl!,
        subscribe: [topic],
        localAddresses: [sourceAddresses[index]!],
        // $connect verifies a token per socket; minting one per socket would measure POST /session, not the game.
        socketsPerToken: 20,
        concurrency: SETUP_CONCURRENCY,
      }),
      3_600_000,
    );
    const replies = await withOpenProgress(fleet, fans, started, opening);
    await setupProfile?.stop();
    const setupSeconds = (Date.now() - started) / 1000;
    const opened = replies.reduce((sum, reply) => sum + reply.opened, 0);
    const setup = {
      opened,
      failed: replies.reduce((sum, reply) => sum + reply.failed, 0),
      refused429: replies.reduce((sum, reply) => sum + reply.refused429, 0),
      seconds: round(setupSeconds),
      perSecond: round(opened / setupSeconds),
    };
    await sleep(1000);
    const after = serverMemory();
    const holdersAfterMB = processesRssMB(holders);
    progress(
      `big game: ${opened.toLocaleString("en-US")} subscribed (${setup.failed} failed, ${setup.refused429} refused 429) in ${setup.seconds} s; server RSS ${before.rssMB.toFixed(0)} -> ${after.rssMB.toFixed(0)} MB, heap ${before.heapUsedMB.toFixed(0)} -> ${after.heapUsedMB.toFixed(0)} MB${holders.length > 0 ? `; socket holders' RSS ${holdersBeforeMB.toFixed(0)} -> ${holdersAfterMB.toFixed(0)} MB` : ""}`,
    );

    // --- pushgate: 5 publications, one at a time (the stream would conflate them otherwise)
    const sent: SentMessage[] = [];
    for (let index = 1; index <= publishes; index++) {
      const profile = await startCpuProfile(`big-game-${fans}-publication-${index}`);
      const publication = await producer.publish(index, index - 1, `touchdown ${index}`);
      sent.push({ key: `${topic}#${publication.seq}`, startedAt: publication.startedAt });
      await cloud.drained(600_000);
      await profile?.stop();
      await sleep(300);
      const counts = await fleet.all<{ counts: Record<string, number> }>(() => ({ type: "receipt-counts" }), 30_000);
      const got = counts.reduce((sum, reply) => sum + (reply.counts[`${topic}#${publication.seq}`] ?? 0), 0);
      progress(
        `big game: publication ${index}/${publishes} (seq ${publication.seq}): ${got.toLocaleString("en-US")}/${opened.toLocaleString("en-US")} delivered, ${((epochMs() - publication.startedAt) / 1000).toFixed(1)} s since the request`,
      );
    }
    const audits = await fleet.all<AuditReply>(() => ({ type: "audit", keys: sent.map((message) => message.key) }), 60_000);
    const audit = {
      sockets: audits.reduce((sum, reply) => sum + reply.sockets, 0),
      missing: audits.reduce((sum, reply) => sum + reply.missing, 0),
      duplicates: audits.reduce((sum, reply) => sum + reply.duplicates, 0),
    };
    const receipts = mergeReceipts((await fleet.all<CollectedReply>(() => ({ type: "collect" }), 120_000)).map((reply) => reply.receipts));
    const measured = latencies(sent, receipts, opened);
    const publications = sent.map((message) =>
      publicationRow(Number(message.key.split("#")[1]), message.startedAt, receipts.get(message.key) ?? []),
    );
    progress(
      `big game: pushgate p50 ${measured.latencyMs.p50.toFixed(0)} ms, p99 ${measured.latencyMs.p99.toFixed(0)} ms, ${measured.fanoutRate.toFixed(0)} msg/s; ${audit.missing} sockets missed a publication, ${audit.duplicates} duplicates`,
    );

    // --- the raw POST baseline: the same sockets (read with the fan-out's own Query), the same parallelism
    const ids = await subscriberIds(
      cloud.endpoints.dynamodbEndpoint,
      localCloudCredentials(cloud),
      cloud.endpoints.tables.subscriptions!,
      topic,
    );
    const rounds = 3;
    const rawConcurrency = fanoutParallelism(opened);
    const rawPost = await rawPostRounds(cloud, fleet, ids, rounds, rawConcurrency, "the fan-out's own", `big-game-${fans}-raw-post`);
    // For reading the ratio: the same loop at one invocation's pool (what a fan-out that is not split runs).
    const onePool = fanout.fanoutConcurrency;
    const rawPostOnePool =
      rawConcurrency === onePool ? undefined : await rawPostRounds(cloud, fleet, ids, rounds, onePool, "one invocation's pool", undefined);

    progress(`big game: closing ${opened.toLocaleString("en-US")} sockets`);
    await fleet.all(() => ({ type: "close-sockets" }), 600_000);
    return {
      fans,
      publishes,
      fanProcesses: processes,
      sourceAddresses,
      openFilesLimit: limit,
      gatewayProcesses,
      setup,
      pushgate: {
        latencyMs: measured.latencyMs,
        delivered: measured.delivered,
        expected: measured.expected,
        deliveryRate: round(measured.fanoutRate),
        endToEndRate: round(measured.endToEndRate),
      },
      publications,
      audit,
      rawPost: rawSummary(rawPost, rawConcurrency, rounds),
      ...(rawPostOnePool && { rawPostOnePool: rawSummary(rawPostOnePool, onePool, rounds) }),
      ratioToRawPost: round(measured.fanoutRate / rawPost.fanoutRate, 3),
      memory: {
        rssBeforeMB: round(before.rssMB),
        rssAfterMB: round(after.rssMB),
        holdersRssBeforeMB: round(holdersBeforeMB),
        holdersRssAfterMB: round(holdersAfterMB),
        heapBeforeMB: round(before.heapUsedMB),
        heapAfterMB: round(after.heapUsedMB),
        rssPerConnectionKB: round(((after.rssMB + holdersAfterMB - before.rssMB - holdersBeforeMB) * 1024) / opened, 2),
        heapPerConnectionKB: round(((after.heapUsedMB - before.heapUsedMB) * 1024) / opened, 2),
      },
    };
  } finally {
    await fleet.stop();
  }
}

type RawPostSummary = BigGameResult["rawPost"];

function rawSummary(result: LatencyResult, concurrency: number, rounds: number): RawPostSummary {
  return {
    latencyMs: result.latencyMs,
    delivered: result.delivered,
    expected: result.expected,
    deliveryRate: round(result.fanoutRate),
    concurrency,
    rounds,
  };
}

/** `rounds` signed POST loops to every id, `concurrency` in flight, each round a new seq; the receipts the fan processes saw. */
async function rawPostRounds(
  cloud: BenchContext["cloud"],
  /** The big game's own fan processes (not the bench's shared fleet): they hold the sockets. */
  fleet: FanFleet,
  ids: readonly string[],
  rounds: number,
  concurrency: number,
  why: string,
  profileName: string | undefined,
): Promise<LatencyResult> {
  progress(
    `big game: raw signed POST loop to ${ids.length.toLocaleString("en-US")} connections, ${rounds} rounds, ${concurrency} in flight (${why})`,
  );
  const profile = profileName ? await startCpuProfile(profileName) : undefined;
  const raw = rawManagementPoster(cloud.endpoints.managementEndpoint, concurrency, cloud.adminCredentials);
  try {
    return await postRounds(fleet, raw, ids, {
      topic: `bench/raw-${concurrency}`,
      rounds,
      audience: ids.length,
      settleMs: 500,
      collectTimeoutMs: 120_000,
      lastPlay: (seq) => `touchdown ${seq}`,
      onRound: (seq, ms) => progress(`big game: raw POST round ${seq}/${rounds} done in ${(ms / 1000).toFixed(1)} s`),
    });
  } finally {
    raw.close();
    await profile?.stop();
  }
}

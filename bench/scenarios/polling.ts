/**
 * Scenario 3: push against polling. The same number of fans watch one game
 * while the producer publishes every `everyMs`: first over push (subscribed
 * sockets), then polling the topic's snapshot through presigned S3 URLs every
 * 1 s and every 5 s. Reported: the requests per second that reach the system
 * and the mean staleness of what a fan sees (for each publication and fan: the
 * first moment the fan holds that seq or a newer one, minus the publish).
 */
import { sleep } from "../lib/clock";
import type { BenchContext } from "../lib/context";
import type { CollectedReply, OpenedReply, PolledReply } from "../lib/fan-protocol";
import { mergeReceipts } from "../lib/latency";
import { scoreProducer, type Publication } from "../lib/producer";
import { progress } from "../lib/progress";
import { round, summarize } from "../lib/stats";

export interface ModeResult {
  mode: string;
  fans: number;
  durationS: number;
  /** Requests fans send to the system per second (GET snapshot for polling; none for push once subscribed). */
  fanRequestsPerS: number;
  /** Messages the system sends per second (PostToConnection for push; 200 answers with a body for polling). */
  deliveriesPerS: number;
  staleness: { meanMs: number; p50Ms: number; p95Ms: number; maxMs: number; seen: number; expected: number };
  detail: Record<string, number>;
}

export interface PollingResult {
  fans: number;
  publishes: number;
  publishEveryMs: number;
  modes: ModeResult[];
  /** Requests per second of polling over push's messages per second, per interval. */
  requestRatio: Record<string, number>;
}

async function publishSeries(context: BenchContext, gameId: string, count: number, everyMs: number, base: number): Promise<Publication[]> {
  const producer = scoreProducer(context.cloud.endpoints.httpApiUrl!, context.cloud.endpoints.operatorKey, gameId);
  const publications: Publication[] = [];
  for (let index = 0; index < count; index++) {
    const due = Date.now() + everyMs;
    publications.push(await producer.publish(base + index, 0));
    await sleep(Math.max(0, due - Date.now()));
  }
  return publications;
}

/** Staleness of each (fan, publication): first time the fan held seq >= publication.seq, minus the publish start. */
function staleness(publications: Publication[], firstSeen: [number, number][][]) {
  const values: number[] = [];
  for (const seen of firstSeen) {
    for (const publication of publications) {
      const hit = seen.find(([seq]) => seq >= publication.seq);
      if (hit) values.push(hit[1] - publication.startedAt);
    }
  }
  const summary = summarize(values);
  return {
    meanMs: round(summary.mean),
    p50Ms: round(summary.p50),
    p95Ms: round(summary.p95),
    maxMs: round(summary.max),
    seen: values.length,
    expected: publications.length * firstSeen.length,
  };
}

export async function runPolling(context: BenchContext, fans: number, publishes: number, everyMs: number): Promise<PollingResult> {
  const { cloud, fleet } = context;
  const gameId = "polling";
  const topic = `game/${gameId}`;
  const shares = fleet.share(fans);
  const modes: ModeResult[] = [];
  let base = 0;
  // A first publication, so the snapshot exists before anyone polls it (404 is not what we measure).
  await publishSeries(context, gameId, 1, 0, base++);
  await cloud.drained(60_000);

  progress(`push vs polling: push, ${fans} subscribed sockets, ${publishes} publishes every ${everyMs} ms`);
  await fleet.all<OpenedReply>(
    (index) => ({
      type: "open-sockets",
      url: cloud.endpoints.websocketUrl,
      count: shares[index]!,
      ratePerSecond: 200,
      httpApiUrl: cloud.endpoints.httpApiUrl!,
      subscribe: [topic],
    }),
    300_000,
  );
  await fleet.all(() => ({ type: "collect" }), 30_000);
  const pushStarted = Date.now();
  const pushed = await publishSeries(context, gameId, publishes, everyMs, (base += 10));
  await cloud.drained(60_000);
  await sleep(300);
  const receipts = mergeReceipts((await fleet.all<CollectedReply>(() => ({ type: "collect" }), 60_000)).map((part) => part.receipts));
  const pushSeconds = (Date.now() - pushStarted) / 1000;
  const latencies = pushed.flatMap((publication) =>
    (receipts.get(`${topic}#${publication.seq}`) ?? []).map((at) => at - publication.startedAt),
  );
  const pushSummary = summarize(latencies);
  modes.push({
    mode: "push",
    fans,
    durationS: round(pushSeconds),
    fanRequestsPerS: 0,
    deliveriesPerS: round(latencies.length / pushSeconds),
    // Every fan receives every publication here (they are far apart), so staleness is the push latency.
    staleness: {
      meanMs: round(pushSummary.mean),
      p50Ms: round(pushSummary.p50),
      p95Ms: round(pushSummary.p95),
      maxMs: round(pushSummary.max),
      seen: latencies.length,
      expected: pushed.length * fans,
    },
    detail: { subscribeRequestsAtStart: fans },
  });
  await fleet.all(() => ({ type: "close-sockets" }), 60_000);
  progress(`push vs polling: push mean staleness ${modes[0]!.staleness.meanMs} ms`);

  for (const intervalMs of [1000, 5000]) {
    progress(`push vs polling: ${fans} fans polling every ${intervalMs / 1000} s, ${publishes} publishes every ${everyMs} ms`);
    base += 100;
    const durationMs = intervalMs + publishes * everyMs + intervalMs + 2000;
    await fleet.all((index) => ({ type: "prepare-poll", httpApiUrl: cloud.endpoints.httpApiUrl!, topic, fans: shares[index]! }), 300_000);
    const polling = fleet.all<PolledReply>(() => ({ type: "poll", intervalMs, durationMs }), durationMs + 60_000);
    // Every fan has polled once (each starts at a random phase within one interval) before the first publish.
    await sleep(intervalMs);
    const published = await publishSeries(context, gameId, publishes, everyMs, base);
    const replies = await polling;
    const firstSeen = replies.flatMap((reply) => reply.firstSeen);
    const seconds = Math.max(...replies.map((reply) => reply.endedAt - reply.startedAt)) / 1000;
    const total = (key: "requests" | "ok" | "notModified" | "errors") => replies.reduce((sum, reply) => sum + reply[key], 0);
    modes.push({
      mode: `poll ${intervalMs / 1000} s`,
      fans,
      durationS: round(seconds),
      fanRequestsPerS: round(total("requests") / seconds),
      deliveriesPerS: round(total("ok") / seconds),
      staleness: staleness(published, firstSeen),
      detail: {
        requests: total("requests"),
        ok: total("ok"),
        notModified: total("notModified"),
        errors: total("errors"),
        intendedRequestsPerS: round(fans / (intervalMs / 1000)),
      },
    });
    progress(
      `push vs polling: every ${intervalMs / 1000} s: ${modes.at(-1)!.fanRequestsPerS} req/s, mean staleness ${modes.at(-1)!.staleness.meanMs} ms`,
    );
  }
  const push = modes[0]!;
  return {
    fans,
    publishes,
    publishEveryMs: everyMs,
    modes,
    requestRatio: Object.fromEntries(modes.slice(1).map((mode) => [mode.mode, round(mode.fanRequestsPerS / push.deliveriesPerS, 2)])),
  };
}

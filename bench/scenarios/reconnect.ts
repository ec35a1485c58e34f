/**
 * Scenario 5: the reconnect storm. N push clients are live on one game; the
 * gateway is stopped (every socket closes with 1001, as in a deploy or an
 * outage) and started again after `downMs`. Measured per retry policy: the
 * time from the restart until every client is live again, the peak rate of
 * successful connections (per 100 ms window, as a per-second rate, and per
 * whole second), and the handshakes refused by the 500/s new-connection
 * quota (429). A publish afterwards checks that every client resubscribed.
 */
import { epochMs, sleep } from "../lib/clock";
import type { BenchContext } from "../lib/context";
import type { StartClients } from "../lib/fan-protocol";
import { scoreProducer } from "../lib/producer";
import { progress } from "../lib/progress";
import { round } from "../lib/stats";
import { closePushClients, pushClientReport, startPushClients } from "./push-clients";

export interface StormResult {
  policy: string;
  reconnectOption: StartClients["reconnect"];
  clients: number;
  downMs: number;
  /** How long stopGateway() took (closing sockets and running $disconnect for each). */
  stopMs: number;
  /** From startGateway() resolving until the last client was live; NaN when not all made it in the time allowed. */
  allLiveAfterMs: number;
  liveAtEnd: number;
  peakPer100msAsPerS: number;
  peakPerSecond: number;
  refused429: number;
  failedAttempts: number;
  /** Clients that received the publication made after the storm. */
  receivedAfter: number;
  /** Successful connections per 250 ms from the restart, for the chart. */
  connectionsPer250ms: number[];
}

const POLICIES: { policy: string; option: Pick<StartClients, "reconnect" | "fixedRandom"> }[] = [
  { policy: "full jitter (client default: 0.5 s base, 20 s cap)", option: { reconnect: { baseMs: 500, capMs: 20_000 } } },
  // random() pinned near 1 with base === cap: every retry waits the same 1 s, the anti-pattern.
  { policy: "fixed 1 s interval", option: { reconnect: { baseMs: 1000, capMs: 1000 }, fixedRandom: 0.999 } },
];

export async function runReconnectStorms(
  context: BenchContext,
  clients: number,
  downMs: number,
  waitLimitMs: number,
): Promise<StormResult[]> {
  const results: StormResult[] = [];
  for (const [index, { policy, option }] of POLICIES.entries()) {
    const topic = `game/storm${index}`;
    progress(`reconnect storm (${policy}): starting ${clients} push clients`);
    await startPushClients(context, clients, topic, option);
    // The client resets its backoff only after a connection was live for 10 s (stableAfterMs).
    await sleep(10_500);
    await pushClientReport(context);

    const refusedBefore = context.counters.refused429;
    const stopStarted = epochMs();
    await context.cloud.stopGateway();
    const stopMs = epochMs() - stopStarted;
    progress(`reconnect storm (${policy}): gateway stopped in ${stopMs.toFixed(0)} ms; down for ${downMs} ms`);
    await sleep(downMs);
    await context.cloud.startGateway();
    const restartedAt = epochMs();

    let live = 0;
    const deadline = Date.now() + waitLimitMs;
    let report = await pushClientReport(context);
    const states = [...report.states];
    const failures = { ...report.failures };
    while (Date.now() < deadline) {
      live = report.final.filter((store) => store.state === "live").length;
      if (live === clients) break;
      await sleep(500);
      report = await pushClientReport(context);
      states.push(...report.states);
      for (const [key, value] of Object.entries(report.failures)) failures[key] = (failures[key] ?? 0) + value;
    }
    live = report.final.filter((store) => store.state === "live").length;
    progress(`reconnect storm (${policy}): ${live}/${clients} live ${((epochMs() - restartedAt) / 1000).toFixed(1)} s after the restart`);

    // Connections = transitions into live after the restart; the last one per client marks it back.
    const opens = states.filter(([, state, at]) => state === "live" && at >= restartedAt).map(([, , at]) => at - restartedAt);
    const lastLive = new Map<number, number>();
    for (const [client, state, at] of states) if (state === "live" && at >= restartedAt) lastLive.set(client, at - restartedAt);
    const bucket = (width: number) => {
      const counts: number[] = [];
      for (const at of opens) counts[Math.floor(at / width)] = (counts[Math.floor(at / width)] ?? 0) + 1;
      return Array.from(counts, (count) => count ?? 0);
    };

    await sleep(1500); // resubscribe acks and snapshot resyncs settle
    const producer = scoreProducer(context.cloud.endpoints.httpApiUrl!, context.cloud.endpoints.operatorKey, `storm${index}`);
    const check = await producer.publish(99, 98, "after the storm");
    await context.cloud.drained(60_000);
    await sleep(500);
    const after = await pushClientReport(context);
    const receivedAfter = after.applied.filter((applied) => applied.some(([seq]) => seq >= check.seq)).length;
    await closePushClients(context);
    await sleep(1500); // $disconnect of the closed sockets

    results.push({
      policy,
      reconnectOption: option.reconnect,
      clients,
      downMs,
      stopMs: round(stopMs),
      allLiveAfterMs: live === clients && lastLive.size > 0 ? round(Math.max(...lastLive.values())) : NaN,
      liveAtEnd: live,
      peakPer100msAsPerS: Math.max(0, ...bucket(100)) * 10,
      peakPerSecond: Math.max(0, ...bucket(1000)),
      refused429: context.counters.refused429 - refusedBefore,
      // A client cannot tell a refusal from an unreachable host (close 1006, like a browser); 1001 is the drop itself.
      failedAttempts: Object.entries(failures).reduce((total, [key, value]) => (key === "1001" ? total : total + value), 0),
      receivedAfter,
      connectionsPer250ms: bucket(250),
    });
    progress(
      `reconnect storm (${policy}): all live after ${results.at(-1)!.allLiveAfterMs} ms, peak ${results.at(-1)!.peakPerSecond}/s, ${results.at(-1)!.refused429} refused with 429`,
    );
  }
  return results;
}

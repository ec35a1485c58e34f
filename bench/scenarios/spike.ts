/**
 * Scenario 4: the touchdown spike. Push clients hold one game; the producer
 * publishes at a base rate, then 8x that for 10 s, then the base rate again.
 * Reported: latency over time (by the second the publication was sent), how
 * many states each client never saw (conflated away: by the stream batch,
 * which publishes only a topic's newest seq, or superseded in flight), and
 * whether every client ends on the final score.
 */
import { epochMs, sleep } from "../lib/clock";
import type { BenchContext } from "../lib/context";
import { scoreProducer, type Publication } from "../lib/producer";
import { progress } from "../lib/progress";
import { round, summarize } from "../lib/stats";
import { closePushClients, pushClientReport, startPushClients } from "./push-clients";

export interface SpikeSecond {
  second: number;
  phase: "base" | "spike";
  published: number;
  /** Of the (client, publication) pairs of this second, the fraction delivered. */
  deliveredFraction: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface SpikeResult {
  clients: number;
  baseRatePerS: number;
  spikeRatePerS: number;
  spikeSeconds: number;
  published: number;
  timeline: SpikeSecond[];
  /** Per client: published - applied. */
  conflatedPerClient: { mean: number; min: number; max: number };
  /** Publications no client received: the stream batch published a newer seq of the topic instead. */
  neverPushed: number;
  finalSeq: number;
  clientsOnFinalScore: number;
  latencyMs: { base: ReturnType<typeof summarize>; spike: ReturnType<typeof summarize> };
}

export async function runSpike(
  context: BenchContext,
  clients: number,
  baseRatePerS: number,
  spikeSeconds: number,
  calmSeconds: number,
): Promise<SpikeResult> {
  const { cloud } = context;
  const gameId = "spike";
  const topic = `game/${gameId}`;
  const spikeRatePerS = baseRatePerS * 8;
  progress(`spike: starting ${clients} push clients on ${topic}`);
  const started = await startPushClients(context, clients, topic, { reconnect: { baseMs: 500, capMs: 20_000 } });
  progress(
    `spike: ${started.subscribed} subscribed in ${started.seconds.toFixed(1)} s; ${calmSeconds} s at ${baseRatePerS}/s, ${spikeSeconds} s at ${spikeRatePerS}/s, ${calmSeconds} s at ${baseRatePerS}/s`,
  );
  await pushClientReport(context); // forget the setup's events

  const producer = scoreProducer(cloud.endpoints.httpApiUrl!, cloud.endpoints.operatorKey, gameId);
  const schedule: { at: number; phase: "base" | "spike" }[] = [];
  let offset = 500;
  const addPhase = (seconds: number, rate: number, phase: "base" | "spike") => {
    for (let index = 0; index < seconds * rate; index++) schedule.push({ at: offset + (index * 1000) / rate, phase });
    offset += seconds * 1000;
  };
  addPhase(calmSeconds, baseRatePerS, "base");
  addPhase(spikeSeconds, spikeRatePerS, "spike");
  addPhase(calmSeconds, baseRatePerS, "base");

  const t0 = epochMs();
  const inFlight: Promise<Publication & { phase: "base" | "spike" }>[] = [];
  for (const [index, { at, phase }] of schedule.entries()) {
    await sleep(Math.max(0, t0 + at - epochMs()));
    // Fired on schedule without waiting for the previous answer: a spike does not wait for the system.
    inFlight.push(producer.publish(index + 1, index, `play ${index + 1}`).then((publication) => ({ ...publication, phase })));
    if (index % Math.max(1, Math.round(spikeRatePerS)) === 0) progress(`spike: ${index + 1}/${schedule.length} publishes sent (${phase})`);
  }
  const publications = await Promise.all(inFlight);
  await cloud.drained(120_000);
  await sleep(1500);
  const report = await pushClientReport(context);
  await closePushClients(context);

  const bySeq = new Map(publications.map((publication) => [publication.seq, publication]));
  const final = publications.reduce((newest, publication) => (publication.seq > newest.seq ? publication : newest));
  const receivedBySeq = new Map<number, number[]>();
  for (const applied of report.applied) {
    for (const [seq, at] of applied) {
      const publication = bySeq.get(seq);
      if (!publication) continue;
      let list = receivedBySeq.get(seq);
      if (!list) receivedBySeq.set(seq, (list = []));
      list.push(at - publication.startedAt);
    }
  }
  const timeline: SpikeSecond[] = [];
  const seconds = Math.ceil(offset / 1000);
  for (let second = 0; second < seconds; second++) {
    const inSecond = publications.filter((publication) => Math.floor((publication.startedAt - t0) / 1000) === second);
    const values = inSecond.flatMap((publication) => receivedBySeq.get(publication.seq) ?? []);
    const summary = summarize(values);
    timeline.push({
      second,
      phase: inSecond.some((publication) => publication.phase === "spike") ? "spike" : "base",
      published: inSecond.length,
      deliveredFraction: inSecond.length ? round(values.length / (inSecond.length * report.applied.length), 3) : NaN,
      p50Ms: round(summary.p50),
      p99Ms: round(summary.p99),
      maxMs: round(summary.max),
    });
  }
  const conflated = report.applied.map((applied) => publications.length - new Set(applied.map(([seq]) => seq)).size);
  const onFinal = report.final.filter((store) => {
    const data = store.data as { home?: number; away?: number } | undefined;
    return store.seq === final.seq && data?.home === final.home && data?.away === final.away;
  }).length;
  const phaseLatencies = (phase: "base" | "spike") =>
    summarize(
      publications.filter((publication) => publication.phase === phase).flatMap((publication) => receivedBySeq.get(publication.seq) ?? []),
    );
  const result: SpikeResult = {
    clients: report.applied.length,
    baseRatePerS,
    spikeRatePerS,
    spikeSeconds,
    published: publications.length,
    timeline,
    conflatedPerClient: {
      mean: round(conflated.reduce((a, b) => a + b, 0) / conflated.length),
      min: Math.min(...conflated),
      max: Math.max(...conflated),
    },
    neverPushed: publications.filter((publication) => !receivedBySeq.has(publication.seq)).length,
    finalSeq: final.seq,
    clientsOnFinalScore: onFinal,
    latencyMs: { base: phaseLatencies("base"), spike: phaseLatencies("spike") },
  };
  progress(
    `spike: ${result.published} published, ${result.neverPushed} never pushed (conflated), ${onFinal}/${result.clients} clients on the final score`,
  );
  return result;
}

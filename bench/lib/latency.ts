/**
 * Latencies from receipts: for each sent message (topic, seq, start time),
 * every receipt of it minus the start. Also the two throughput figures every
 * scenario reports the same way:
 *  - endToEndRate: deliveries / (last receipt - send start), what a producer sees;
 *  - fanoutRate:   (deliveries - 1) / (last receipt - first receipt), the delivery
 *                  rate once the fan-out is under way, free of the fixed pipeline
 *                  latency; this is the figure compared across pushgate and the baselines.
 */
import { summarize, type Summary } from "./stats";

export interface SentMessage {
  key: string;
  startedAt: number;
}

export interface RoundStats {
  key: string;
  delivered: number;
  endToEndRate: number;
  fanoutRate: number;
  spanMs: number;
}

export interface LatencyResult {
  latencyMs: Summary;
  /** Every latency, for the chart. */
  samples: number[];
  delivered: number;
  expected: number;
  /** Mean over rounds. */
  endToEndRate: number;
  fanoutRate: number;
  rounds: RoundStats[];
}

export function mergeReceipts(parts: Record<string, number[]>[]): Map<string, number[]> {
  const merged = new Map<string, number[]>();
  for (const part of parts) {
    for (const [key, times] of Object.entries(part)) {
      const list = merged.get(key);
      if (list) list.push(...times);
      else merged.set(key, [...times]);
    }
  }
  return merged;
}

export function latencies(sent: SentMessage[], receipts: Map<string, number[]>, audience: number): LatencyResult {
  const samples: number[] = [];
  const rounds: RoundStats[] = [];
  for (const { key, startedAt } of sent) {
    const times = receipts.get(key) ?? [];
    let first = Infinity;
    let last = -Infinity;
    for (const at of times) {
      samples.push(at - startedAt);
      first = Math.min(first, at);
      last = Math.max(last, at);
    }
    const spanMs = times.length > 0 ? last - startedAt : NaN;
    rounds.push({
      key,
      delivered: times.length,
      spanMs,
      endToEndRate: times.length / (spanMs / 1000),
      fanoutRate: times.length > 1 ? (times.length - 1) / ((last - first) / 1000) : NaN,
    });
  }
  const mean = (values: number[]) => values.filter(Number.isFinite).reduce((total, value, _, list) => total + value / list.length, 0);
  return {
    latencyMs: summarize(samples),
    samples,
    delivered: samples.length,
    expected: sent.length * audience,
    endToEndRate: mean(rounds.map((round) => round.endToEndRate)),
    fanoutRate: mean(rounds.map((round) => round.fanoutRate)),
    rounds,
  };
}

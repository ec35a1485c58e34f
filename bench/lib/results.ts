/**
 * Writing a run: bench/results/<date>.json (every number, without the raw
 * latency samples), <date>.md (the summary tables) and <date>.svg (the chart).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BigGameResult } from "../scenarios/big-game";
import type { FanoutRun } from "../scenarios/fanout";
import type { FootprintResult } from "../scenarios/footprint";
import type { GatewayMemoryResult } from "../scenarios/gateway-memory";
import type { PollingResult } from "../scenarios/polling";
import type { PresaleResult } from "../scenarios/presale";
import type { StormResult } from "../scenarios/reconnect";
import type { SpikeResult } from "../scenarios/spike";
import { latencyChartSvg, type Series } from "./chart";

export interface BenchResults {
  startedAt: string;
  quick: boolean;
  durationS?: number;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGB: number;
    node: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
    fanProcesses: number;
  };
  sizes: unknown;
  deadLetters?: number;
  scenarios: {
    fanout?: FanoutRun[];
    polling?: PollingResult;
    spike?: SpikeResult;
    reconnect?: StormResult[];
    presale?: PresaleResult;
    bigGame?: BigGameResult;
    footprint?: FootprintResult;
    gatewayMemory?: GatewayMemoryResult;
  };
}

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "results");

/** The JSON keeps summaries: raw samples would make every committed run megabytes long. */
function withoutSamples(results: BenchResults): unknown {
  return JSON.parse(JSON.stringify(results, (key, value) => (key === "samples" ? undefined : value)));
}

const fmt = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "n/a";
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export function markdownSummary(results: BenchResults): string {
  const lines: string[] = [];
  const { machine } = results;
  lines.push(`# pushgate bench, ${results.startedAt}${results.quick ? " (quick)" : ""}`, "");
  lines.push(
    `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGB} GB, Node ${machine.node}; load average ${machine.loadAverageAtStart.join(" / ")} at start, ${machine.loadAverageAtEnd.join(" / ")} at the end (the cores are shared with other work). ` +
      `Server (gateway, HTTP API, handlers, stream pollers) in one process, DynamoDB Local and the S3 emulator in their own, clients in ${machine.fanProcesses} fan processes. ` +
      `Times are epoch ms from one wall clock shared by every process on this machine. Run took ${results.durationS ?? "?"} s.`,
    "",
  );
  const fanout = results.scenarios.fanout;
  if (fanout?.length) {
    lines.push("## Fan-out: publish-to-receive latency and delivery rate", "");
    lines.push(
      "| N | publishes | delivered | p50 ms | p95 ms | p99 ms | max ms | pushgate msg/s | (a) bare ws msg/s | (b) raw POST msg/s | (b') lean SigV4 msg/s | (c) SDK msg/s | pushgate ÷ (a) | ÷ (b) | ÷ (c) |",
    );
    lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const run of fanout) {
      const l = run.pushgate.latencyMs;
      lines.push(
        `| ${fmt(run.n)} | ${run.publishes} | ${fmt(run.pushgate.delivered)}/${fmt(run.pushgate.expected)} | ${fmt(l.p50)} | ${fmt(l.p95)} | ${fmt(l.p99)} | ${fmt(l.max)} | ${fmt(run.pushgate.fanoutRate)} | ${fmt(run.bareWs.fanoutRate)} | ${fmt(run.rawPost.fanoutRate)} | ${run.signedPost ? fmt(run.signedPost.fanoutRate) : "–"} | ${fmt(run.sdkPost.fanoutRate)} | ${fmt(run.ratio.bareWs * 100, 1)}% | ${fmt(run.ratio.rawPost * 100, 1)}% | ${fmt(run.ratio.sdkPost * 100, 1)}% |`,
      );
    }
    lines.push(
      "",
      "msg/s is the fan-out rate: (deliveries − 1) ÷ (last receipt − first receipt) of one message, averaged over messages. End to end (deliveries ÷ (last receipt − request start)):",
      "",
    );
    lines.push(
      "| N | pushgate | (a) bare ws | (b) raw POST | (c) SDK | (a) p50/p99 ms | (b) p50/p99 ms | (c) p50/p99 ms | setup s | 429s in setup |",
    );
    lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const run of fanout) {
      const pair = (result: FanoutRun["bareWs"]) => `${fmt(result.latencyMs.p50, 1)} / ${fmt(result.latencyMs.p99, 1)}`;
      lines.push(
        `| ${fmt(run.n)} | ${fmt(run.pushgate.endToEndRate)} | ${fmt(run.bareWs.endToEndRate)} | ${fmt(run.rawPost.endToEndRate)} | ${fmt(run.sdkPost.endToEndRate)} | ${pair(run.bareWs)} | ${pair(run.rawPost)} | ${pair(run.sdkPost)} | ${fmt(run.setup.seconds, 1)} | ${run.setup.refused429} |`,
      );
    }
    lines.push("");
    const phased = fanout.filter((run) => run.phases);
    if (phased.length) {
      lines.push(
        "First publication after setup, the steady ones, and one after a quiet pause (ms from the producer's request start; answered = the HTTP API's answer, the games write done):",
        "",
        "| N | publication | seq | answered | first receipt | p50 | p99 | last receipt |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
      );
      for (const run of phased) {
        for (const row of run.publications)
          lines.push(
            `| ${fmt(run.n)} | ${row.phase === "after-quiet" ? `after ${run.phases.quietS} s quiet` : row.phase} | ${row.seq} | ${fmt(row.answeredMs)} | ${fmt(row.firstReceiptMs)} | ${fmt(row.p50Ms)} | ${fmt(row.p99Ms)} | ${fmt(row.lastReceiptMs)} |`,
          );
        const { first, steady, afterQuiet } = run.phases;
        lines.push(
          `| ${fmt(run.n)} | **first / steady${afterQuiet ? " / after quiet" : ""} p50** | | | | ${fmt(first.p50)} / ${fmt(steady.p50)}${afterQuiet ? ` / ${fmt(afterQuiet.p50)}` : ""} | ${fmt(first.p99)} / ${fmt(steady.p99)}${afterQuiet ? ` / ${fmt(afterQuiet.p99)}` : ""} | |`,
        );
      }
      lines.push("");
    }
  }
  const polling = results.scenarios.polling;
  if (polling) {
    lines.push(
      `## Push against polling (${polling.fans} fans, ${polling.publishes} publishes every ${polling.publishEveryMs / 1000} s)`,
      "",
    );
    lines.push("| mode | requests from fans /s | deliveries /s | mean staleness ms | p50 ms | p95 ms | max ms | details |");
    lines.push("|---|---:|---:|---:|---:|---:|---:|---|");
    for (const mode of polling.modes) {
      const s = mode.staleness;
      lines.push(
        `| ${mode.mode} | ${fmt(mode.fanRequestsPerS, 1)} | ${fmt(mode.deliveriesPerS, 1)} | ${fmt(s.meanMs)} | ${fmt(s.p50Ms)} | ${fmt(s.p95Ms)} | ${fmt(s.maxMs)} | ${Object.entries(
          mode.detail,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}; seen ${s.seen}/${s.expected} |`,
      );
    }
    lines.push(
      "",
      `Polling requests per push message at this update rate: ${Object.entries(polling.requestRatio)
        .map(([mode, ratio]) => `${mode}: ${ratio}×`)
        .join(", ")}.`,
      "",
    );
  }
  const spike = results.scenarios.spike;
  if (spike) {
    lines.push(
      `## Touchdown spike (${spike.clients} push clients; ${spike.baseRatePerS}/s, then ${spike.spikeRatePerS}/s for ${spike.spikeSeconds} s)`,
      "",
    );
    lines.push(
      `- ${spike.published} states published; ${spike.neverPushed} were never pushed to anyone (the stream batch carried a newer seq of the topic); each client missed ${spike.conflatedPerClient.mean} on average (min ${spike.conflatedPerClient.min}, max ${spike.conflatedPerClient.max}).`,
      `- Latency, base rate: p50 ${fmt(spike.latencyMs.base.p50)} ms, p99 ${fmt(spike.latencyMs.base.p99)} ms; during the spike: p50 ${fmt(spike.latencyMs.spike.p50)} ms, p99 ${fmt(spike.latencyMs.spike.p99)} ms, max ${fmt(spike.latencyMs.spike.max)} ms.`,
      `- **${spike.clientsOnFinalScore}/${spike.clients} clients ended on the final score** (seq ${spike.finalSeq}).`,
      "",
    );
    lines.push("| second | phase | published | delivered share | p50 ms | p99 ms | max ms |", "|---:|---|---:|---:|---:|---:|---:|");
    for (const point of spike.timeline)
      lines.push(
        `| ${point.second} | ${point.phase} | ${point.published} | ${Number.isFinite(point.deliveredFraction) ? `${fmt(point.deliveredFraction * 100, 1)}%` : "n/a"} | ${fmt(point.p50Ms)} | ${fmt(point.p99Ms)} | ${fmt(point.maxMs)} |`,
      );
    lines.push("");
  }
  const storms = results.scenarios.reconnect;
  if (storms?.length) {
    lines.push("## Reconnect storm (gateway stopped and restarted)", "");
    lines.push(
      "| retry policy | clients | down ms | stop ms | all live after ms | peak connections /s (100 ms window) | peak in one second | refused 429 | failed attempts | got the next publish |",
    );
    lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const storm of storms) {
      lines.push(
        `| ${storm.policy} | ${storm.clients} | ${storm.downMs} | ${fmt(storm.stopMs)} | ${fmt(storm.allLiveAfterMs)}${storm.liveAtEnd < storm.clients ? ` (${storm.liveAtEnd} live)` : ""} | ${fmt(storm.peakPer100msAsPerS)} | ${fmt(storm.peakPerSecond)} | ${storm.refused429} | ${storm.failedAttempts} | ${storm.receivedAfter}/${storm.clients} |`,
      );
    }
    lines.push("");
  }
  const presale = results.scenarios.presale;
  if (presale) {
    const { sizes, before, after, shuffle, advance, tickets } = presale;
    lines.push(
      `## Presale burst (${fmt(sizes.before)} fans before the opening, ${fmt(sizes.after)} after; an advance admitting ${fmt(sizes.admit)})`,
      "",
    );
    lines.push(
      "| joins | fans | offered /s | absorbed /s | took s | p50 ms | p99 ms | max ms | answers |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    );
    for (const [label, phase] of [
      ["before opening", before],
      ["after opening", after],
    ] as const) {
      lines.push(
        `| ${label} | ${fmt(phase.fans)} | ${fmt(phase.offeredPerS)} | ${fmt(phase.absorbedPerS, 1)} | ${fmt(phase.seconds, 1)} | ${fmt(phase.latencyMs.p50)} | ${fmt(phase.latencyMs.p99)} | ${fmt(phase.latencyMs.max)} | ${Object.entries(
          phase.outcomes,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")} |`,
      );
    }
    lines.push(
      "",
      presale.openingMoves > 0
        ? `- **Paced, not a 10 s burst**: the local cloud absorbed ${fmt(before.absorbedPerS, 1)} joins/s against ${fmt(before.offeredPerS)} offered, so the opening was moved ${presale.openingMoves} times (PUT with a later opensAt) and the pre-queue filled over ${fmt(presale.prequeueWindowS, 1)} s.`
        : `- The pre-queue filled within the ${fmt(presale.prequeueWindowS, 1)} s before opening.`,
      ...(presale.cpuDuringJoins
        ? [
            `- Cores busy during the pre-queue joins: ${Object.entries(presale.cpuDuringJoins)
              .map(([part, cores]) => `${part} ${cores}`)
              .join(", ")} (the server process includes its handler workers and the S3 emulator).`,
          ]
        : []),
      `- Shuffle: ${fmt(shuffle.prequeueSize)} pre-queued fans drawn and ticketed ${fmt(shuffle.drawnAfterMs)} ms after opensAt; the opening's push reached a subscribed socket ${fmt(shuffle.openPushedAfterMs)} ms after opensAt.`,
      `- Advance by ${advance.by} (serving number ${advance.servingNumber}): ${advance.told} of the ${advance.heldAdmitted ?? advance.by} admitted fans holding a socket told over it (${advance.held} sockets held for tickets 1..${fmt(Math.min(tickets.fans, sizes.admit + sizes.extraHeld))}), p50 ${fmt(advance.latencyMs.p50)} ms, p99 ${fmt(advance.latencyMs.p99)} ms, max ${fmt(advance.latencyMs.max)} ms after the advance request; ${advance.toldBeyond} fans past the admitted range told (must be 0).`,
      `- **Tickets (every fan's GET .../me): ${tickets.permutation ? "a permutation" : "NOT a permutation"} of 1..${fmt(tickets.fans)}**: ${tickets.duplicateCount} duplicates${tickets.duplicates.length ? ` (${tickets.duplicates.join(", ")})` : ""}, ${tickets.gapCount} gaps${tickets.gaps.length ? ` (${tickets.gaps.join(", ")})` : ""}, ${tickets.withoutTicket} fans without a ticket, ${tickets.meFailures} failed GETs.`,
      `- Sessions for the ${fmt(tickets.fans)} fans (POST /session, before the burst, not measured): ${fmt(presale.sessionsSeconds, 1)} s.`,
      "",
    );
  }
  const bigGame = results.scenarios.bigGame;
  if (bigGame) {
    const { setup, pushgate, rawPost, audit, memory } = bigGame;
    lines.push(
      `## Big game (${fmt(bigGame.fans)} real WebSocket clients, one game, ${bigGame.publishes} publications)`,
      "",
      `- Clients: ${fmt(setup.opened)} subscribed through token, $connect and subscribe (${setup.failed} failed, ${setup.refused429} refused 429) in ${fmt(setup.seconds, 1)} s (${fmt(setup.perSecond)}/s), in ${bigGame.fanProcesses} fan processes from ${bigGame.sourceAddresses.join(", ")}; the server's open-files limit ${fmt(bigGame.openFilesLimit)}; the gateway's sockets in ${bigGame.gatewayProcesses > 1 ? `${bigGame.gatewayProcesses} socket holder processes` : "the server process"}; the gateway's idle timeout at 2 h for the run (the fans do not ping; see BIG_GAME_GATEWAY_LIMITS).`,
      `- **Every client got every publication: ${audit.missing === 0 && pushgate.delivered >= pushgate.expected ? "yes" : "NO"}** (${fmt(pushgate.delivered)} deliveries of ${fmt(pushgate.expected)}; ${audit.missing} sockets missed one; ${audit.duplicates} duplicate pushes).`,
      `- pushgate: p50 ${fmt(pushgate.latencyMs.p50)} ms, p99 ${fmt(pushgate.latencyMs.p99)} ms, max ${fmt(pushgate.latencyMs.max)} ms from the request; delivery rate ${fmt(pushgate.deliveryRate)} msg/s (end to end ${fmt(pushgate.endToEndRate)}).`,
      `- Raw signed POST loop to @connections, the same sockets, ${rawPost.concurrency} in flight, ${rawPost.rounds} rounds: ${fmt(rawPost.deliveryRate)} msg/s, p50 ${fmt(rawPost.latencyMs.p50)} ms, p99 ${fmt(rawPost.latencyMs.p99)} ms (${fmt(rawPost.delivered)}/${fmt(rawPost.expected)}). **pushgate ÷ raw POST: ${fmt(bigGame.ratioToRawPost * 100, 1)}%** (issue 12 asks at least 80%).`,
      ...(bigGame.rawPostOnePool
        ? [
            `- The same loop at ${fmt(bigGame.rawPostOnePool.concurrency)} in flight (one invocation's pool; context, not the ratio): ${fmt(bigGame.rawPostOnePool.deliveryRate)} msg/s, p50 ${fmt(bigGame.rawPostOnePool.latencyMs.p50)} ms, p99 ${fmt(bigGame.rawPostOnePool.latencyMs.p99)} ms; pushgate ÷ it: ${fmt((bigGame.pushgate.deliveryRate / bigGame.rawPostOnePool.deliveryRate) * 100, 1)}%.`,
          ]
        : []),
      `- Server process memory with the ${fmt(setup.opened)} sockets open (after a full GC): RSS ${fmt(memory.rssBeforeMB)} → ${fmt(memory.rssAfterMB)} MB${memory.holdersRssAfterMB ? `, socket holders ${fmt(memory.holdersRssBeforeMB)} → ${fmt(memory.holdersRssAfterMB)} MB` : ""} (**${fmt(memory.rssPerConnectionKB, 1)} KB per connection**, all of them), main-thread heap ${fmt(memory.heapBeforeMB)} → ${fmt(memory.heapAfterMB)} MB (${fmt(memory.heapPerConnectionKB, 1)} KB per connection).`,
      "",
      "| publication | seq | delivered | time to last fan ms | p50 ms | p99 ms | delivery rate msg/s |",
      "|---:|---:|---:|---:|---:|---:|---:|",
      ...bigGame.publications.map(
        (row, index) =>
          `| ${index + 1} | ${row.seq} | ${fmt(row.delivered)} | ${fmt(row.timeToLastFanMs)} | ${fmt(row.p50Ms)} | ${fmt(row.p99Ms)} | ${fmt(row.deliveryRate)} |`,
      ),
      "",
    );
  }
  const footprint = results.scenarios.footprint;
  const gatewayMemory = results.scenarios.gatewayMemory;
  if (footprint || fanout?.length || gatewayMemory) {
    lines.push("## Footprint", "");
    if (gatewayMemory) {
      lines.push(
        `- **Gateway emulator alone** (fresh process, handlers stubbed): **${fmt(gatewayMemory.rssPer1000MB, 1)} MB RSS and ${fmt(gatewayMemory.heapPer1000MB, 1)} MB JS heap per 1,000 open connections** (least-squares slope over ${gatewayMemory.steps.map((step) => step.connections).join(", ")} sockets; after a full GC).`,
      );
    }
    for (const run of fanout ?? []) {
      // RSS of the long-lived server process keeps the high-water mark of earlier scenarios, so only its heap growth is shown.
      lines.push(
        `- Whole server process (gateway + HTTP API + handlers + pollers), ${fmt(run.setup.opened)} subscribed sockets: JS heap +${fmt(run.memory.heapAfterMB - run.memory.heapBeforeMB, 1)} MB (${fmt(run.memory.heapPer1000MB, 1)} MB per 1,000) after a full GC.`,
      );
    }
    if (footprint) {
      lines.push("", `Lambda bundles (esbuild ${footprint.esbuildVersion}, ESM, minified, node22, as SST v2 builds them):`, "");
      lines.push("| handler | bytes | gzipped | largest inputs |", "|---|---:|---:|---|");
      for (const lambda of footprint.lambdas) {
        lines.push(
          `| ${lambda.handler} | ${kb(lambda.bytes)} | ${kb(lambda.gzipBytes)} | ${lambda.largestInputs.map((input) => `${input.path} ${kb(input.bytes)}`).join(", ")} |`,
        );
      }
      lines.push(
        "",
        `Web app JavaScript (${footprint.web.note}): ${footprint.web.files.map((file) => `${file.file} ${kb(file.bytes)} (${kb(file.gzipBytes)} gzipped)`).join(", ") || "no files"}; total gzipped ${kb(footprint.web.totalGzipBytes)}.`,
        "",
      );
    }
  }
  if (results.deadLetters) lines.push(`Dead letters during the run: ${results.deadLetters}.`, "");
  return lines.join("\n");
}

export function chartSeries(results: BenchResults): Series[] {
  const series: Series[] = [];
  for (const run of results.scenarios.fanout ?? [])
    series.push({ label: `pushgate N=${run.n.toLocaleString("en-US")}`, samples: run.pushgate.samples });
  const largest = results.scenarios.fanout?.at(-1);
  if (largest) {
    const n = largest.n.toLocaleString("en-US");
    series.push({ label: `(a) bare ws N=${n}`, samples: largest.bareWs.samples });
    series.push({ label: `(b) raw POST N=${n}`, samples: largest.rawPost.samples });
    series.push({ label: `(c) SDK POST N=${n}`, samples: largest.sdkPost.samples });
  }
  return series;
}

/** Writes the three files; returns their paths. */
export function writeResults(results: BenchResults): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = results.startedAt.replace(/:/g, "-").replace(/\..*$/, "") + (results.quick ? "-quick" : "");
  const base = join(RESULTS_DIR, stamp);
  const spike = results.scenarios.spike?.timeline.map((point) => ({
    second: point.second,
    spike: point.phase === "spike",
    p50: point.p50Ms,
    p99: point.p99Ms,
  }));
  writeFileSync(`${base}.json`, `${JSON.stringify(withoutSamples(results), null, 2)}\n`);
  writeFileSync(`${base}.md`, markdownSummary(results));
  writeFileSync(
    `${base}.svg`,
    latencyChartSvg(
      chartSeries(results),
      spike,
      `pushgate latency distributions, ${results.startedAt.slice(0, 10)}${results.quick ? " (quick)" : ""}`,
    ),
  );
  return [`${base}.json`, `${base}.md`, `${base}.svg`];
}

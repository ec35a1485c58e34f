/**
 * `npm run cost -- --fans 100000 --hours 3 --updates 300 --poll-interval 5`
 *
 * Prints the monthly AWS bill of push against polling and the quota
 * arithmetic. Any workload field, price or assumption of bench/cost-model.ts
 * can be given in kebab case, e.g. `--events-per-month 8`,
 * `--fanout-posts-per-second 6900`, `--websocket-messages-per-million 1.0`,
 * `--cloud-front` (poll through CloudFront), `--json`.
 */
import {
  broadcast,
  DEFAULT_BROADCAST,
  DEFAULT_ASSUMPTIONS,
  DEFAULT_PRICES,
  DEFAULT_QUOTAS,
  DEFAULT_WORKLOAD,
  pingCost,
  pollingBill,
  canaryBill,
  occupancyBill,
  occupancyPushes,
  pushBill,
  quotaArithmetic,
  type Bill,
} from "./cost-model";

const ALIASES: Record<string, string> = { "poll-interval": "pollIntervalSeconds", events: "eventsPerMonth" };
const camel = (flag: string) => ALIASES[flag] ?? flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

function parse(argv: string[]) {
  const workload = { ...DEFAULT_WORKLOAD };
  const prices = { ...DEFAULT_PRICES };
  const assumptions = { ...DEFAULT_ASSUMPTIONS };
  const quotas = { ...DEFAULT_QUOTAS };
  const targets = [workload, prices, assumptions, quotas] as Record<string, unknown>[];
  let json = false;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (!arg.startsWith("--")) throw new Error(`unexpected argument "${arg}"; flags look like --fans 100000`);
    const [flag, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    if (flag === "json") {
      json = true;
      continue;
    }
    const key = camel(flag);
    const target = targets.find((candidate) => key in candidate);
    if (!target) throw new Error(`unknown option --${flag}; see the fields of bench/cost-model.ts (workload, prices, assumptions, quotas)`);
    if (typeof target[key] === "boolean") {
      target[key] = inline === undefined ? true : inline === "true";
      continue;
    }
    const raw = inline ?? argv[++index];
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value) || value < 0) throw new Error(`--${flag} needs a non-negative number (got ${raw})`);
    target[key] = value;
  }
  if (workload.pollIntervalSeconds <= 0 || assumptions.fanoutPostsPerSecond <= 0)
    throw new Error("--poll-interval and --fanout-posts-per-second must be above 0");
  return { workload, prices, assumptions, quotas, json };
}

const usd = (value: number) => `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const count = (value: number) => value.toLocaleString("en-US", { maximumFractionDigits: value < 100 ? 2 : 0 });

function printBill(title: string, bill: Bill) {
  console.log(`\n${title}`);
  for (const line of bill.lines)
    console.log(`  ${line.item.padEnd(55)} ${count(line.quantity).padStart(18)} ${line.unit.padEnd(12)} ${usd(line.cost).padStart(12)}`);
  console.log(`  ${"total per month".padEnd(55)} ${"".padStart(18)} ${"".padEnd(12)} ${usd(bill.total).padStart(12)}`);
}

function main() {
  const { workload, prices, assumptions, quotas, json } = parse(process.argv.slice(2));
  const push = pushBill(workload, prices, assumptions);
  const polling = pollingBill(workload, prices, assumptions);
  const quota = quotaArithmetic(workload, assumptions, quotas);
  const canary = canaryBill(prices, assumptions);
  const occupancy = { pushes: occupancyPushes(workload), bill: occupancyBill(workload, prices, assumptions) };
  const pings = pingCost(workload, prices, assumptions);
  // The cadence before honest liveness (issue 13): the keep-alive alone, visible or not.
  const keepAliveOnly = pingCost(workload, prices, {
    ...assumptions,
    visiblePingIntervalSeconds: assumptions.hiddenPingIntervalMinutes * 60,
  });
  if (json) {
    console.log(JSON.stringify({ workload, prices, assumptions, quotas, push, pings, polling, quota, canary, occupancy }, null, 2));
    return;
  }
  console.log(
    `${count(workload.fans)} fans x ${workload.hours} h x ${workload.eventsPerMonth} events/month, ${workload.updates} updates per event, polling every ${workload.pollIntervalSeconds} s${workload.cloudFront ? " through CloudFront" : " on S3 presigned URLs"}. Prices: us-east-1 on-demand, no free tier (BENCHMARKS.md).`,
  );
  printBill("Push (pushgate)", push);
  printBill(
    `  of which the pings (${count(pings.pingsPerFanPerEvent)} per fan per event; a message each way, a Lambda invocation, the frame-rate write)`,
    { lines: pings.lines, total: pings.total },
  );
  console.log(
    `  pings are ${Math.round(pings.shareOfPushBill * 100)}% of the push bill; pinging a visible page only every ${assumptions.hiddenPingIntervalMinutes} min (no 45 s liveness) would cost ${usd(keepAliveOnly.total)}, ${usd(pings.total - keepAliveOnly.total)} less`,
  );
  printBill(`Polling every ${workload.pollIntervalSeconds} s`, polling);
  const ratio = polling.total / push.total;
  console.log(
    `\nPolling costs ${ratio.toFixed(2)}x push (${usd(polling.total - push.total)} per month ${ratio >= 1 ? "more" : "less"}), for a mean staleness of ~${quota.pollMeanStalenessSeconds} s instead of well under a second.`,
  );
  printBill("The canary (every minute, whatever the workload)", canary);
  printBill(
    `Occupancy ("watching" counts): ${count(occupancy.pushes.pushes)} count pushes per event, ${Math.round(occupancy.pushes.shareOfScorePushes * 100)}% of the score pushes' messages (at worst ${count(occupancy.pushes.worstCaseMessages)} messages per event)`,
    occupancy.bill,
  );
  console.log("\nQuotas");
  console.log(
    `  one broadcast at the account's ${count(quotas.accountRequestsPerSecond)} req/s (shared by every API call): ${quota.broadcastSecondsAtAccountRate.toFixed(1)} s`,
  );
  console.log(
    `  one broadcast in one fan-out invocation at ${count(assumptions.fanoutPostsPerSecond)} posts/s: ${quota.broadcastSecondsPerInvocation.toFixed(1)} s against a ${quotas.fanoutTimeoutSeconds} s timeout: ${quota.fanoutFitsTimeout ? "fits" : `does NOT fit; needs ${quota.invocationsNeededForTimeout} parallel invocations (or a leaner PostToConnection)`}`,
  );
  const big = broadcast({ ...DEFAULT_BROADCAST, fans: workload.fans }, prices, quotas);
  console.log(
    `  one broadcast split into ${DEFAULT_BROADCAST.shards} tasks (a game's shards) for ${DEFAULT_BROADCAST.workers} workers at ${count(big.workerRate)} posts/s each: ${big.secondsToLastFan.toFixed(1)} s to the last fan in ${big.waves} waves, ${big.invocations} invocations, Lambda $${big.lambdaCost.toFixed(4)}; bound by the ${big.bindingLimit}`,
  );
  console.log(
    `  reconnect storm: ${count(workload.fans)} fans at ${quotas.newConnectionsPerSecond} new connections/s: ${quota.reconnectStormSeconds.toFixed(0)} s until all are back`,
  );
  console.log(
    `  polling: ${count(quota.pollGetsPerSecond)} GET/s on one snapshot key; S3 serves ${count(quotas.s3GetsPerSecondPerPrefix)}/s per prefix: ${quota.pollFitsS3PrefixRate ? "fits" : "does NOT fit (503 SlowDown); use CloudFront (--cloud-front)"}`,
  );
  console.log(
    `  pings in a silence (halftime): ${count(quota.pingsPerSecondInSilence)}/s (${Math.round(assumptions.visibleShare * 100)}% of pages visible, a ping per ${assumptions.visiblePingIntervalSeconds} s of silence) against the WebSocket stage throttle of ${count(quotas.websocketStageRequestsPerSecond)}/s: ${quota.pingsFitWebsocketThrottle ? "fits" : "does NOT fit; raise the stage throttle (topology.ts) with the account quota, or lengthen the visible cadence"}`,
  );
  console.log(
    quota.pingsPerSecondAfterPush === 0
      ? `  pings after a push: pushes come more often than every ${assumptions.visiblePingIntervalSeconds} s, so visible pages do not ping in step`
      : `  pings ${assumptions.visiblePingIntervalSeconds} s after a push (no push in between): visible pages ping in step, at the push's pace: ${count(quota.pingsPerSecondAfterPush)}/s against ${count(quotas.websocketStageRequestsPerSecond)}/s (burst ${count(quotas.websocketStageBurst)}): ${quota.pingsThrottledAfterPush > 0 ? `${count(quota.pingsThrottledAfterPush)} answered "Too Many Requests" per wave (the client keeps its socket: any frame answers a ping)` : "fits"}`,
  );
}

try {
  main();
} catch (error) {
  console.error(`cost: ${(error as Error).message}`);
  process.exit(2);
}

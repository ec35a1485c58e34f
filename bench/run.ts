/**
 * `npm run bench [-- --quick] [-- --only fanout,baselines,polling,spike,reconnect,presale,footprint]`
 * `npm run bench -- --only big-game --fans N [--gateway-processes K]`: K processes hold the gateway's
 * sockets (default: one per 15,000 clients; 1 is this process, as in every other scenario)
 *
 * Starts the local cloud in this process (gateway, HTTP API, handlers, stream
 * pollers; DynamoDB Local and the S3 emulator as their own processes), forks
 * the fan processes that hold the client sockets, runs the scenarios in order
 * and writes bench/results/<date>.json, .md and .svg. Everything talks to
 * 127.0.0.1 only; every process and port is released at the end, also on
 * failure and on Ctrl-C.
 */
import { cpus, loadavg, totalmem } from "node:os";
import { startLocalCloud } from "@pushgate/local";
import { sleep } from "./lib/clock";
import type { BenchContext } from "./lib/context";
import { FanFleet } from "./lib/fan-fleet";
import type { OpenedReply } from "./lib/fan-protocol";
import { scoreProducer } from "./lib/producer";
import { progress } from "./lib/progress";
import { writeResults, type BenchResults } from "./lib/results";
import { BIG_GAME_GATEWAY_LIMITS, checkServerCanHold, gatewayProcessesFor, runBigGame } from "./scenarios/big-game";
import { runFanout } from "./scenarios/fanout";
import { runFootprint } from "./scenarios/footprint";
import { runGatewayMemory } from "./scenarios/gateway-memory";
import { runPolling } from "./scenarios/polling";
import { runPresale } from "./scenarios/presale";
import { runReconnectStorms } from "./scenarios/reconnect";
import { runSpike } from "./scenarios/spike";

const SCENARIOS = ["fanout", "polling", "spike", "reconnect", "presale", "footprint", "big-game"] as const;
type Scenario = (typeof SCENARIOS)[number];
/**
 * What `npm run bench` runs without --only. The big game is asked for by name:
 * 20,000 sockets take minutes to open and more open files than many shells allow.
 */
const DEFAULT_SCENARIOS: readonly Scenario[] = SCENARIOS.filter((name) => name !== "big-game");

/** Scenario sizes. Full: a few minutes on a shared 2-core machine. Quick: a smoke check in about a minute. */
const SIZES = {
  full: {
    fanout: [
      { n: 100, publishes: 10, quietS: 0 },
      // Issue 12 item 5: the first publication after setup, steady ones, and one after a quiet minute.
      { n: 1000, publishes: 10, quietS: 60 },
      { n: 5000, publishes: 5, quietS: 0 },
    ],
    polling: { fans: 500, publishes: 8, everyMs: 2000 },
    // 500 clients at 1/s: a base rate the local fan-out sustains, so the 8x spike is what overloads it.
    spike: { clients: 500, baseRatePerS: 1, spikeSeconds: 10, calmSeconds: 5 },
    reconnect: { clients: 1000, downMs: 2000, waitLimitMs: 60_000 },
    // Issue 16: 10,000 fans in the 10 s before opening, 2,000 after, an advance admitting 500.
    presale: { before: 10_000, after: 2_000, admit: 500, extraHeld: 500 },
    // Issue 12: one game, 5 touchdowns, 20,000 real sockets (--fans 50000 for the other size).
    bigGame: { fans: 20_000, publishes: 5 },
    fanProcesses: 2,
  },
  quick: {
    fanout: [{ n: 100, publishes: 3, quietS: 0 }],
    polling: { fans: 50, publishes: 3, everyMs: 1500 },
    spike: { clients: 100, baseRatePerS: 1, spikeSeconds: 3, calmSeconds: 2 },
    reconnect: { clients: 100, downMs: 1000, waitLimitMs: 30_000 },
    presale: { before: 1_000, after: 200, admit: 500, extraHeld: 200 },
    bigGame: { fans: 2_000, publishes: 5 },
    fanProcesses: 2,
  },
};

/** `--name value` or `--name=value`. */
function flagValue(argv: string[], name: string): string | undefined {
  const arg = argv.find((text) => text === name || text.startsWith(`${name}=`));
  return arg?.includes("=") ? arg.split("=")[1] : arg ? argv[argv.indexOf(arg) + 1] : undefined;
}

function parseArgs(argv: string[]): {
  quick: boolean;
  only: Set<Scenario>;
  fans: number | undefined;
  gatewayProcesses: number | undefined;
} {
  const quick = argv.includes("--quick");
  const onlyValue = flagValue(argv, "--only");
  const only = new Set<Scenario>((onlyValue?.split(",") ?? DEFAULT_SCENARIOS) as Scenario[]);
  for (const name of only)
    if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario "${name}"; choose from ${SCENARIOS.join(", ")}`);
  const fansValue = flagValue(argv, "--fans");
  const fans = fansValue === undefined ? undefined : Number(fansValue);
  if (fans !== undefined && !(Number.isInteger(fans) && fans > 0))
    throw new Error(`--fans takes a positive whole number of big-game clients (e.g. --fans 20000), not "${fansValue}"`);
  const processesValue = flagValue(argv, "--gateway-processes");
  const gatewayProcesses = processesValue === undefined ? undefined : Number(processesValue);
  if (gatewayProcesses !== undefined && !(Number.isInteger(gatewayProcesses) && gatewayProcesses > 0))
    throw new Error(
      `--gateway-processes takes a positive whole number of processes holding the gateway's sockets (e.g. --gateway-processes 4), not "${processesValue}"`,
    );
  return { quick, only, fans, gatewayProcesses };
}

/**
 * Loads every handler (cold starts) and places the stream iterators before anything is measured.
 * (It also sidestepped a lost first stream record, since fixed in the poller: 8709b5e.)
 */
async function warmUp(context: BenchContext): Promise<void> {
  progress("warm-up: 20 subscribed sockets, 2 publishes (cold starts are not measured)");
  const { cloud, fleet } = context;
  await fleet.all<OpenedReply>(
    () => ({
      type: "open-sockets",
      url: cloud.endpoints.websocketUrl,
      count: 10,
      ratePerSecond: 50,
      httpApiUrl: cloud.endpoints.httpApiUrl!,
      subscribe: ["game/warmup"],
    }),
    60_000,
  );
  const producer = scoreProducer(cloud.endpoints.httpApiUrl!, cloud.endpoints.operatorKey, "warmup");
  for (let index = 0; index < 2; index++) {
    await producer.publish(index, 0);
    await cloud.drained(60_000);
  }
  await sleep(300);
  await fleet.all(() => ({ type: "collect" }), 30_000);
  await fleet.all(() => ({ type: "close-sockets" }), 30_000);
  await sleep(1000);
}

async function main() {
  const { quick, only, fans, gatewayProcesses: gatewayProcessesFlag } = parseArgs(process.argv.slice(2));
  const sizes = quick ? SIZES.quick : SIZES.full;
  const startedAt = new Date();
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    quick,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      memoryGB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
      loadAverageAtEnd: [],
      fanProcesses: sizes.fanProcesses,
    },
    sizes,
    scenarios: {},
  };

  // A big game this process cannot hold is refused now, not after minutes of setup.
  const bigGameFans = fans ?? sizes.bigGame.fans;
  // The big game past one process's open files: the gateway's sockets in holder processes (1: this process, as for every other scenario).
  const gatewayProcesses = gatewayProcessesFlag ?? (only.has("big-game") ? gatewayProcessesFor(bigGameFans) : 1);
  if (only.has("big-game")) checkServerCanHold(bigGameFans, undefined, gatewayProcesses);
  const counters = { refused429: 0 };
  progress(
    `starting the local cloud (quick: ${quick}; scenarios: ${[...only].join(", ")}; load average ${results.machine.loadAverageAtStart.join(" ")})`,
  );
  const needsCloud = [...only].some((name) => name !== "footprint");
  const cloud = needsCloud
    ? await startLocalCloud({
        // The cores are shared: at load 15-20 the JVM alone takes over 30 s to answer.
        dynamodbReadyTimeoutMs: 180_000,
        // PUSHGATE_* settings of this run (e.g. PUSHGATE_FANOUT_CONCURRENCY, PUSHGATE_SUBSCRIPTION_SHARDS) reach the functions.
        environment: Object.fromEntries(
          Object.entries(process.env).filter(
            (entry): entry is [string, string] => entry[0].startsWith("PUSHGATE_") && entry[1] !== undefined,
          ),
        ),
        ...(gatewayProcesses > 1 && { gatewayProcesses }),
        ...(only.has("big-game") && { gatewayLimits: BIG_GAME_GATEWAY_LIMITS }),
        log: (level, message) => {
          if (message.includes("with 429")) counters.refused429++;
          else if (level === "error") process.stderr.write(`[local cloud] ${message}\n`);
        },
      })
    : undefined;
  const fleet = needsCloud ? FanFleet.start(sizes.fanProcesses) : undefined;
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await fleet?.stop();
    await cloud?.stop();
  };
  // Ctrl-C, or a kill/timeout (SIGTERM): either way DynamoDB Local and the fan processes go with us.
  process.once("SIGINT", () => void shutdown().then(() => process.exit(130)));
  process.once("SIGTERM", () => void shutdown().then(() => process.exit(143)));

  try {
    if (cloud && fleet) {
      const context: BenchContext = { cloud, fleet, options: { quick }, counters };
      await warmUp(context);
      if (only.has("fanout")) {
        results.scenarios.fanout = [];
        // BENCH_FANOUT_N=1000 (or 100,1000): only those sizes; BENCH_FANOUT_QUIET_S=0 skips the quiet minute.
        const onlyN = process.env.BENCH_FANOUT_N?.split(",").map(Number);
        const quietOverride = process.env.BENCH_FANOUT_QUIET_S;
        for (const { n, publishes, quietS } of sizes.fanout.filter(({ n }) => !onlyN || onlyN.includes(n)))
          results.scenarios.fanout.push(
            await runFanout(context, n, publishes, quietOverride !== undefined && quietS > 0 ? Number(quietOverride) : quietS),
          );
      }
      if (only.has("polling")) {
        const { fans, publishes, everyMs } = sizes.polling;
        results.scenarios.polling = await runPolling(context, fans, publishes, everyMs);
      }
      if (only.has("spike")) {
        const { clients, baseRatePerS, spikeSeconds, calmSeconds } = sizes.spike;
        results.scenarios.spike = await runSpike(context, clients, baseRatePerS, spikeSeconds, calmSeconds);
      }
      if (only.has("reconnect")) {
        const { clients, downMs, waitLimitMs } = sizes.reconnect;
        results.scenarios.reconnect = await runReconnectStorms(context, clients, downMs, waitLimitMs);
      }
      if (only.has("presale")) results.scenarios.presale = await runPresale(context, sizes.presale);
      if (only.has("big-game"))
        results.scenarios.bigGame = await runBigGame(context, { ...sizes.bigGame, ...(fans !== undefined && { fans }) });
      results.deadLetters = cloud.deadLetters.records.length;
    }
    await shutdown();
    if (only.has("footprint")) {
      results.scenarios.gatewayMemory = await runGatewayMemory(1000, quick ? 1 : 5);
      results.scenarios.footprint = await runFootprint();
    }
  } finally {
    await shutdown();
  }
  results.machine.loadAverageAtEnd = loadavg().map((value) => Number(value.toFixed(2)));
  results.durationS = Math.round((Date.now() - startedAt.getTime()) / 1000);
  const files = writeResults(results);
  progress(`done in ${results.durationS} s: ${files.join(", ")}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

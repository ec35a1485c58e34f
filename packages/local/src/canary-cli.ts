/**
 * `npm run canary`: the canary (topology `schedules.canary`, the function
 * its EventBridge rule runs every minute on AWS) against a local cloud of its
 * own, in memory: the real gateway, stream, S3 emulator and function
 * sandboxes. Runs it a few times, prints each run and the latencies, and
 * exits 1 if any run failed. It starts no fixed ports, so it can run beside `npm start`.
 *
 *   npm run canary                 3 runs
 *   npm run canary -- --runs 10
 */
import { parseArgs } from "node:util";
import { startLocalCloud } from "./cloud";
import { asCanaryReport, describeCanary } from "./canary-report";

const usage = "usage: npm run canary [-- --runs N]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "3" }, help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) return (console.log(usage), 0);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 1000) throw new Error(`--runs ${values.runs} is not a count from 1 to 1000; ${usage}`);

  console.log("canary: starting a local cloud in memory (DynamoDB Local, S3, gateway, stream consumers)");
  const cloud = await startLocalCloud({ environment: { POWERTOOLS_LOG_LEVEL: "ERROR" } });
  const latencies: number[] = [];
  let failures = 0;
  try {
    for (let run = 1; run <= runs; run++) {
      const started = Date.now();
      const report = asCanaryReport(await cloud.runSchedule("canary"));
      if (!report) throw new Error("the canary function returned no report; is topology.schedules.canary the canary handler?");
      if (report.ok) latencies.push(report.latencyMs);
      else failures++;
      console.log(`  run ${run}: ${describeCanary(report)} (whole run ${Date.now() - started} ms)`);
    }
  } finally {
    await cloud.stop();
  }
  if (latencies.length > 0) {
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    console.log(
      `canary: ${latencies.length}/${runs} ok; publish-to-receive p50 ${at(0.5)} ms, max ${sorted.at(-1)} ms (the first run includes cold starts)`,
    );
  }
  if (failures > 0) console.error(`canary: ${failures}/${runs} runs failed; the line of each says which step and what to check`);
  return failures > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`canary: ${error.message}`);
    console.error("Fix the cause above and run npm run canary again.");
    process.exit(2);
  },
);

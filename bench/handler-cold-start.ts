/**
 * What a handler's cold start loads: each handler bundled as the local cloud
 * bundles it (handler-loader.ts), then imported in a fresh Node process, the
 * module load a sandbox's init phase pays. Reports, per handler, the median
 * import time over --runs and how many CommonJS modules it loaded (the AWS
 * SDK is CommonJS, so that is mostly SDK modules).
 *
 *   npx tsx bench/handler-cold-start.ts [--runs 5]
 *
 * Prints one JSON line per handler. Import only: the app (and its clients) is
 * built on the first invocation, not measured here.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { FunctionDecl } from "@pushgate/core";
import { createHandlerLoader } from "@pushgate/local/invoke";
import { summarize } from "./lib/stats";

const runsAt = process.argv.indexOf("--runs");
const runs = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 5;
const only = process.argv.indexOf("--handler");
const handlers =
  only >= 0
    ? [process.argv[only + 1]!]
    : ["ws/ping", "ws/connect", "ws/subscribe", "http/session", "http/snapshots", "stream/games", "stream/jobs"];

const rootDir = resolve(import.meta.dirname, "..");
const loader = createHandlerLoader({ rootDir, watch: false, log: () => {} });
// Runs in the child: import the bundle, then count what Node's CommonJS loader holds.
const probe = `
const started = performance.now();
await import(process.argv[1]);
const ms = performance.now() - started;
const { createRequire } = await import("node:module");
const files = Object.keys(createRequire(import.meta.url).cache);
const byPackage = {};
for (const file of files) {
  const name = file.match(/node_modules\\/((@[^/]+\\/)?[^/]+)/)?.[1] ?? "(own)";
  byPackage[name] = (byPackage[name] ?? 0) + 1;
}
console.log(JSON.stringify({ ms, cjsModules: files.length, byPackage }));
`;
try {
  for (const name of handlers) {
    const fn: FunctionDecl = { handler: `packages/functions/src/${name}.handler`, timeoutSeconds: 10, memoryMB: 512, grants: {} };
    const bundle = await loader.bundle(fn);
    const samples: { ms: number; cjsModules: number; byPackage: Record<string, number> }[] = [];
    for (let run = 0; run < runs; run += 1) {
      const out = execFileSync(process.execPath, ["--input-type=module", "-e", probe, pathToFileURL(bundle.file).href], {
        cwd: rootDir,
        env: { ...process.env, POWERTOOLS_LOG_LEVEL: "SILENT" },
      });
      samples.push(JSON.parse(String(out)));
    }
    const ms = summarize(samples.map((sample) => sample.ms));
    const sdkPackages = Object.keys(samples[0]!.byPackage).filter((name) => /^@aws-sdk\/client-/.test(name));
    console.log(
      JSON.stringify({ handler: name, runs, importMsMedian: Math.round(ms.p50), cjsModules: samples[0]!.cjsModules, sdkPackages }),
    );
    if (process.argv.includes("--by-package")) console.log(JSON.stringify(samples[0]!.byPackage));
  }
} finally {
  loader.close();
}

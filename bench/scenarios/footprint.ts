/**
 * Scenario 6: footprint. Each Lambda bundle built as SST v2 builds it (its
 * esbuild 0.18.13, platform node, ESM, minified, keepNames, the ESM banner;
 * target node22 as the stacks deploy nodejs22.x), and the web app's built
 * JavaScript, both in bytes and gzipped. The gateway's memory per connection
 * is measured during the fan-out (see fanout.ts) and reported beside these.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { topology } from "@pushgate/core/topology";
import { repoRoot } from "@pushgate/local/cloud";
import { progress } from "../lib/progress";

export interface BundleSize {
  handler: string;
  bytes: number;
  gzipBytes: number;
  /** The three biggest inputs, to say where the bytes come from. */
  largestInputs: { path: string; bytes: number }[];
}

export interface FootprintResult {
  esbuildVersion: string;
  lambdas: BundleSize[];
  web: { built: boolean; note: string; files: { file: string; bytes: number; gzipBytes: number }[]; totalGzipBytes: number };
}

// SST's esbuild, not the newer one at the root: the sizes must be what a deploy uploads.
const esbuild = createRequire(join(repoRoot, "packages/local/package.json"))("esbuild") as typeof import("esbuild");

const SST_ESM_BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
].join("\n");

function handlers(): string[] {
  const all = [
    ...Object.values(topology.websocket.routes).map((route) => route.function.handler),
    ...Object.values(topology.http.routes).map((route) => route.function.handler),
    ...Object.values(topology.consumers).map((consumer) => consumer.function.handler),
  ];
  return [...new Set(all)];
}

async function bundle(handler: string): Promise<BundleSize> {
  const file = join(repoRoot, `${handler.replace(/\.[^.]+$/, "")}.ts`);
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    minify: true,
    keepNames: true,
    mainFields: ["module", "main"],
    banner: { js: SST_ESM_BANNER },
    external: ["sharp", "pg-native"],
    write: false,
    metafile: true,
    logLevel: "silent",
    outfile: "out.mjs",
  });
  const code = result.outputFiles.find((output) => output.path.endsWith(".mjs"))!.contents;
  const output = Object.values(result.metafile.outputs)[0]!;
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const key = path.includes("node_modules/")
      ? path.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, "$1")
      : path.replace(/^.*packages\//, "packages/");
    byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
  }
  const largestInputs = [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([path, bytes]) => ({ path, bytes }));
  return { handler: handler.replace("packages/functions/src/", ""), bytes: code.length, gzipBytes: gzipSync(code).length, largestInputs };
}

export async function runFootprint(): Promise<FootprintResult> {
  const lambdas: BundleSize[] = [];
  for (const handler of handlers()) {
    progress(`footprint: bundling ${handler}`);
    lambdas.push(await bundle(handler));
  }

  progress("footprint: npm run build -w packages/web (up to 3 min)");
  const build = spawnSync("npm", ["run", "build", "-w", "packages/web"], { cwd: repoRoot, encoding: "utf8", timeout: 180_000 });
  const built = build.status === 0;
  const assets = join(repoRoot, "packages/web/dist/assets");
  let files: FootprintResult["web"]["files"] = [];
  try {
    files = readdirSync(assets)
      .filter((name) => name.endsWith(".js"))
      .map((name) => {
        const content = readFileSync(join(assets, name));
        return { file: name, bytes: content.length, gzipBytes: gzipSync(content).length };
      });
  } catch {
    files = [];
  }
  const note = built
    ? "built by this run"
    : `the build failed (exit ${build.status}; ${(build.stderr ?? "").trim().split("\n").slice(-3).join(" | ")}); sizes are of the dist/ left by an earlier build, if any`;
  progress(`footprint: web ${built ? "built" : "build FAILED"}; ${files.length} JS files`);
  return {
    esbuildVersion: esbuild.version,
    lambdas,
    web: { built, note, files, totalGzipBytes: files.reduce((total, file) => total + file.gzipBytes, 0) },
  };
}

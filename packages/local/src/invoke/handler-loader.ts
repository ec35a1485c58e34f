/**
 * Turns handler sources into what a worker sandbox runs: one esbuild bundle
 * per handler file, plus the sandbox runtime (sandbox-runtime.ts), written
 * under buildDir and imported by the worker.
 *
 * Why bundling rather than a TypeScript loader (tsx) inside each worker: a
 * worker is plain Node, and registering a loader in every one of them means
 * transpiling every file of core and the handler again per sandbox and per
 * cold start; one esbuild run per handler is ~100 ms, shared by every sandbox
 * of it, and yields exactly what `sst deploy` ships (a bundle with
 * `@pushgate/*` inlined). It is also what hot reload needs: a rebuild is a new
 * file, a new file is a new sandbox.
 *
 * Without `watch` a build is kept for the life of the process (tests start
 * many clouds; they bundle each handler once) and its file is named by its
 * content, so processes sharing buildDir never clash. With `watch`, a change
 * to any file in a bundle rebuilds it; the next invocation gets a sandbox on
 * the new build, and the old build's file is removed once its sandbox ended.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import type { FunctionDecl } from "@pushgate/core";
import { systemTimers, type Timers } from "./clock";
import { createFileWatcher } from "./file-watcher";
import { resolveHandlerFile } from "./handler-module";
import { parseHandlerRef, type HandlerRef } from "./handler-ref";
import { consoleLog, describeError, type Log } from "../log";

export interface HandlerLoaderOptions {
  /** Repository root: FunctionDecl.handler paths are relative to it. */
  rootDir: string;
  /**
   * Where bundles are written, e.g. `<root>/.pushgate/build`. Keep it inside
   * rootDir: bundles import node_modules packages at run time, and Node finds
   * them by walking up from the bundle's folder. Default
   * `<rootDir>/node_modules/.cache/pushgate/handlers`.
   */
  buildDir?: string;
  /** Rebuild a handler when any file in its bundle changes (Live-Lambda-like). */
  watch: boolean;
  /** Called with the short name (e.g. `ws/subscribe`) after a rebuild succeeded. */
  onReload?: (handlerName: string) => void;
  /** Quiet time after the last change before rebuilding (editors write in bursts). */
  debounceMs?: number;
  timers?: Timers;
  log?: Log;
}

/** One build of a handler file. */
export interface HandlerBundle {
  /** The bundle (an ES module), absolute path. */
  file: string;
  /** The TypeScript source it was built from. */
  sourceFile: string;
}

export interface HandlerBundler {
  /** The current build of fn's handler file (waits for a rebuild under way; rejects with esbuild's error). */
  bundle(fn: FunctionDecl): Promise<HandlerBundle>;
  /** The sandbox runtime's bundle. */
  runtime(): Promise<string>;
  /** No sandbox runs this build any more: with watch, its file goes unless it is the current one. */
  discard(file: string): void;
  /** Stops watching; bundles already written stay usable. */
  close(): void;
}

/** One handler file and its current build (watch mode). */
interface WatchedEntry {
  ref: HandlerRef;
  file: string;
  current: Promise<HandlerBundle>;
  /** Build number of `current`, so a slow older build never replaces a newer one. */
  latest: number;
  unwatch?: () => void;
}

/**
 * Bundles every workspace import (`@pushgate/*` and relative files) so edits
 * to core reload too; everything else in node_modules stays an import.
 */
const externalizeNodeModules: Plugin = {
  name: "externalize-node-modules",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@pushgate/")) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** Builds without watch, for the life of the process: `${buildDir}\0${source}` -> bundle. */
const processBuilds = new Map<string, Promise<{ bundle: HandlerBundle; inputs: string[] }>>();

const RUNTIME_SOURCE = ["sandbox-runtime.ts", "sandbox-runtime.js"]
  .map((name) => fileURLToPath(new URL(`./${name}`, import.meta.url)))
  .find((file) => existsSync(file));

/** Bundles `sourceFile` into buildDir under a name derived from its content. */
async function bundleFile(
  sourceFile: string,
  rootDir: string,
  buildDir: string,
  label: string,
): Promise<{ bundle: HandlerBundle; inputs: string[] }> {
  let result;
  try {
    result = await build({
      entryPoints: [sourceFile],
      absWorkingDir: rootDir,
      bundle: true,
      write: false,
      outdir: buildDir,
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: "inline",
      metafile: true,
      logLevel: "silent",
      plugins: [externalizeNodeModules],
    });
  } catch (error) {
    throw new Error(
      `esbuild could not bundle ${sourceFile} for ${label}; fix the error below and save again:\n${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const contents = result.outputFiles[0]!.contents;
  const hash = createHash("sha256").update(contents).digest("hex").slice(0, 12);
  const file = resolve(buildDir, `${label.replace(/[^A-Za-z0-9_-]+/g, "-")}-${hash}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(buildDir, { recursive: true });
    // Written aside and renamed, so a sandbox of another process never imports half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, contents);
    renameSync(partial, file);
  }
  const inputs = Object.keys(result.metafile.inputs).map((input) => resolve(rootDir, input));
  return { bundle: { file, sourceFile }, inputs };
}

/** Builds `sourceFile` once for the life of the process (per buildDir); a failed build is tried again next time. */
function buildOnce(sourceFile: string, rootDir: string, buildDir: string, label: string) {
  const key = `${buildDir}\0${sourceFile}`;
  let built = processBuilds.get(key);
  if (!built) {
    built = bundleFile(sourceFile, rootDir, buildDir, label);
    processBuilds.set(key, built);
    built.catch(() => processBuilds.get(key) === built && processBuilds.delete(key));
  }
  return built;
}

const defaultBuildDir = (rootDir: string) => join(rootDir, "node_modules/.cache/pushgate/handlers");

/**
 * A TypeScript entry of a child process (the gateway's socket holder) as a
 * bundle plain Node runs: forking a `.ts` file works only under tsx, not
 * under vitest or plain node, and this is the bundler the handlers already
 * use. Built once per process; returns the bundle's path.
 */
export async function bundleProcessEntry(sourceFile: string, label: string, rootDir: string): Promise<string> {
  const root = resolve(rootDir);
  return (await buildOnce(sourceFile, root, defaultBuildDir(root), label)).bundle.file;
}

export function createHandlerLoader(options: HandlerLoaderOptions): HandlerBundler {
  const log = options.log ?? consoleLog;
  const timers = options.timers ?? systemTimers;
  const rootDir = resolve(options.rootDir);
  const buildDir = resolve(options.buildDir ?? defaultBuildDir(rootDir));
  const watcher = options.watch ? createFileWatcher({ debounceMs: options.debounceMs ?? 100, timers, log }) : undefined;
  const entries = new Map<string, WatchedEntry>();
  let buildCount = 0;
  let closed = false;

  const cachedBuild = (sourceFile: string, label: string) => buildOnce(sourceFile, rootDir, buildDir, label);

  async function watchedBuild(entry: WatchedEntry, buildNumber: number): Promise<HandlerBundle> {
    const { bundle, inputs } = await bundleFile(entry.file, rootDir, buildDir, entry.ref.name);
    // Watch the new input set before dropping the old one, so no edit falls in between.
    if (watcher && !closed && buildNumber === entry.latest) {
      const previous = entry.unwatch;
      entry.unwatch = watcher.watchFiles(inputs, () => rebuild(entry));
      previous?.();
    }
    return bundle;
  }

  function rebuild(entry: WatchedEntry) {
    const buildNumber = ++buildCount;
    entry.latest = buildNumber;
    const next = watchedBuild(entry, buildNumber);
    entry.current = next;
    next.then(
      () => {
        if (buildNumber === entry.latest) options.onReload?.(entry.ref.name);
      },
      (error: unknown) => log("error", `reload of ${entry.ref.name} failed: ${describeError(error)}`),
    );
  }

  return {
    async bundle(fn) {
      const ref = parseHandlerRef(fn.handler);
      if (!watcher) return (await cachedBuild(resolveHandlerFile(rootDir, ref), ref.name)).bundle;
      let entry = entries.get(ref.modulePath);
      if (!entry) {
        const buildNumber = ++buildCount;
        const created: WatchedEntry = {
          ref,
          file: resolveHandlerFile(rootDir, ref),
          latest: buildNumber,
          current: Promise.resolve(undefined as never),
        };
        created.current = watchedBuild(created, buildNumber);
        entry = created;
        entries.set(ref.modulePath, entry);
        // A first build that failed is retried on the next invocation.
        created.current.catch(() => {
          if (entries.get(ref.modulePath) === created && created.latest === buildNumber) entries.delete(ref.modulePath);
        });
      }
      return entry.current;
    },
    async runtime() {
      if (!RUNTIME_SOURCE)
        throw new Error(`sandbox-runtime.ts is missing next to ${fileURLToPath(import.meta.url)}; reinstall @pushgate/local`);
      return (await cachedBuild(RUNTIME_SOURCE, "sandbox-runtime")).bundle.file;
    },
    discard(file) {
      if (!watcher) return;
      // Keep it while it is (or may become, a build under way) the current build of any handler.
      void Promise.all(
        [...entries.values()].map((entry) =>
          entry.current.then(
            (bundle) => bundle.file,
            () => undefined,
          ),
        ),
      ).then((currentFiles) => {
        if (!currentFiles.includes(file) && basename(file).endsWith(".mjs")) rmSync(file, { force: true });
      });
    },
    close() {
      closed = true;
      for (const entry of entries.values()) entry.unwatch?.();
      watcher?.close();
    },
  };
}

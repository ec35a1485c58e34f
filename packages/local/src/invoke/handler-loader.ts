import { mkdirSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";
import type { FunctionDecl } from "@pushgate/core";
import { systemTimers, type Timers } from "./clock";
import { createFileWatcher } from "./file-watcher";
import { pickHandlerExport, resolveHandlerFile } from "./handler-module";
import { parseHandlerRef, type HandlerRef } from "./handler-ref";
import type { LambdaHandler, LoadHandler } from "./invoker";
import { consoleLog, describeError, type Log } from "../log";

export interface HandlerLoaderOptions {
  /** Repository root: FunctionDecl.handler paths are relative to it. */
  rootDir: string;
  /**
   * Where bundles are written, e.g. `<root>/.pushgate/build`. Keep it inside
   * rootDir: bundles import node_modules packages at run time, and Node finds
   * them by walking up from the bundle's folder.
   */
  buildDir: string;
  /** Rebuild a handler when any file in its bundle changes (Live-Lambda-like). */
  watch: boolean;
  /** Called with the short name (e.g. `ws/subscribe`) after a rebuild succeeded. */
  onReload?: (handlerName: string) => void;
  /** Quiet time after the last change before rebuilding (editors write in bursts). */
  debounceMs?: number;
  timers?: Timers;
  log?: Log;
}

export interface HandlerLoader {
  load: LoadHandler;
  /** Stops watching; bundles already imported stay usable. */
  close(): void;
}

/** One bundled handler file and its current build. */
interface BundleEntry {
  ref: HandlerRef;
  file: string;
  /** The bundle the next invocation uses (a rebuild replaces it). */
  current: Promise<Record<string, unknown>>;
  /** Build number of `current`, so a slow older build never replaces a newer one. */
  latest: number;
  unwatch?: () => void;
  outfile?: string;
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

/**
 * Loads handlers the way `sst dev` feels: each handler file is bundled with
 * esbuild and imported; with `watch`, a change to any file in a bundle
 * rebuilds it under a new file name (the ESM cache never forgets a URL), and
 * the next invocation uses it. Invocations already running finish on the old
 * code, and nothing restarts, so open WebSockets stay connected.
 */
export function createHandlerLoader(options: HandlerLoaderOptions): HandlerLoader {
  const log = options.log ?? consoleLog;
  const timers = options.timers ?? systemTimers;
  const rootDir = resolve(options.rootDir);
  const buildDir = resolve(options.buildDir);
  const watcher = options.watch ? createFileWatcher({ debounceMs: options.debounceMs ?? 100, timers, log }) : undefined;
  const entries = new Map<string, BundleEntry>();
  let buildCount = 0;
  let closed = false;

  async function bundleAndImport(entry: BundleEntry, buildNumber: number): Promise<Record<string, unknown>> {
    mkdirSync(buildDir, { recursive: true });
    const outfile = resolve(buildDir, `${entry.ref.name.replace(/[^A-Za-z0-9_-]+/g, "-")}-${buildNumber}.mjs`);
    let result;
    try {
      result = await build({
        entryPoints: [entry.file],
        outfile,
        absWorkingDir: rootDir,
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        sourcemap: "inline",
        metafile: true,
        logLevel: "silent",
        plugins: [externalizeNodeModules],
      });
    } catch (error) {
      throw new Error(`esbuild could not bundle ${entry.file} for ${entry.ref.name}; fix the error below and save again:\n${error instanceof Error ? error.message : String(error)}`);
    }
    // Watch the new input set before dropping the old one, so no edit falls in between.
    if (watcher && !closed && buildNumber === entry.latest) {
      const inputs = Object.keys(result.metafile.inputs).map((input) => resolve(rootDir, input));
      const previous = entry.unwatch;
      entry.unwatch = watcher.watchFiles(inputs, () => rebuild(entry));
      previous?.();
    }
    const module = (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
    if (entry.outfile && entry.outfile !== outfile && buildNumber === entry.latest) {
      // The old bundle is already in memory; its file is no longer needed.
      rmSync(entry.outfile, { force: true });
    }
    if (buildNumber === entry.latest) entry.outfile = outfile;
    return module;
  }

  function rebuild(entry: BundleEntry) {
    const buildNumber = ++buildCount;
    entry.latest = buildNumber;
    const next = bundleAndImport(entry, buildNumber);
    entry.current = next;
    next.then(
      () => {
        if (buildNumber === entry.latest) options.onReload?.(entry.ref.name);
      },
      (error: unknown) => log("error", `reload of ${entry.ref.name} failed: ${describeError(error)}`),
    );
  }

  async function load(fn: FunctionDecl): Promise<LambdaHandler> {
    const ref = parseHandlerRef(fn.handler);
    let entry = entries.get(ref.modulePath);
    if (!entry) {
      const file = resolveHandlerFile(rootDir, ref);
      const buildNumber = ++buildCount;
      const created: BundleEntry = { ref, file, latest: buildNumber, current: Promise.resolve({}) };
      created.current = bundleAndImport(created, buildNumber);
      entry = created;
      entries.set(ref.modulePath, entry);
      // A first build that failed is retried on the next invocation.
      created.current.catch(() => {
        if (entries.get(ref.modulePath) === created && created.latest === buildNumber) entries.delete(ref.modulePath);
      });
    }
    const module = await entry.current;
    return pickHandlerExport(module, ref, entry.file);
  }

  return {
    load,
    close() {
      closed = true;
      for (const entry of entries.values()) entry.unwatch?.();
      watcher?.close();
    },
  };
}

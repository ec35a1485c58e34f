import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createHandlerLoader, createInvoker, type HandlerBundler } from "../../src/invoke";
import { collectingLog } from "./fake-time";

const decl = (handler: string) => ({ handler, timeoutSeconds: 5, memoryMB: 128, grants: {} });

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A throwaway project: handler.ts imports value.ts, so a dependency edit must reload too. */
function tempProject(parent = tmpdir()) {
  mkdirSync(parent, { recursive: true });
  const rootDir = mkdtempSync(join(parent, "pushgate-loader-"));
  cleanups.push(() => rmSync(rootDir, { recursive: true, force: true }));
  mkdirSync(join(rootDir, "src/ws"), { recursive: true });
  const write = (path: string, text: string) => writeFileSync(join(rootDir, path), text);
  write("src/ws/hello.ts", `import { value } from "./value";\nexport const handler = async () => value;\n`);
  write("src/ws/value.ts", `export const value: string = "v1";\n`);
  return { rootDir, buildDir: join(rootDir, ".pushgate/build"), write };
}

function startLoader(project: { rootDir: string; buildDir: string }, watch: boolean) {
  const reloads: string[] = [];
  let notify: (() => void) | undefined;
  const { log, text } = collectingLog();
  const loader: HandlerBundler = createHandlerLoader({
    ...project,
    watch,
    debounceMs: 20,
    log,
    onReload: (name) => {
      reloads.push(name);
      notify?.();
    },
  });
  cleanups.push(() => loader.close());
  const invoke = createInvoker({ bundler: loader, log });
  cleanups.push(() => void invoke.close());
  /** Resolves on the next onReload; no fixed sleep, the test timeout is the only bound. */
  const nextReload = () => new Promise<void>((resolveReload) => (notify = resolveReload));
  return { invoke, reloads, nextReload, text };
}

describe("createHandlerLoader (esbuild)", () => {
  it("bundles a handler into buildDir and runs it", async () => {
    const project = tempProject();
    const { invoke } = startLoader(project, false);
    await expect(invoke(decl("src/ws/hello.handler"), {})).resolves.toBe("v1");
    // The handler's bundle, named by its content, and the runtime of the worker sandbox that imports it.
    expect(readdirSync(project.buildDir).sort()).toEqual([
      expect.stringMatching(/^sandbox-runtime-[0-9a-f]{12}\.mjs$/),
      expect.stringMatching(/^ws-hello-[0-9a-f]{12}\.mjs$/),
    ]);
  });

  it("reloads after an edit to a file in the bundle: the next invocation runs the new code", async () => {
    const project = tempProject();
    const { invoke, reloads, nextReload } = startLoader(project, true);
    const fn = decl("src/ws/hello.handler");
    await expect(invoke(fn, {})).resolves.toBe("v1");

    let reloaded = nextReload();
    project.write("src/ws/value.ts", `export const value: string = "v2";\n`);
    await reloaded;
    // An editor's save can arrive as several events; poll until the last build is in.
    await expect.poll(() => invoke(fn, {}), { timeout: 10_000 }).toBe("v2");

    reloaded = nextReload();
    project.write("src/ws/hello.ts", `import { value } from "./value";\nexport const handler = async () => value + "!";\n`);
    await reloaded;
    await expect.poll(() => invoke(fn, {}), { timeout: 10_000 }).toBe("v2!");

    expect(reloads.length).toBeGreaterThanOrEqual(2);
    expect(new Set(reloads)).toEqual(new Set(["ws/hello"]));
    // Each build gets a new file and a new sandbox; an old build's file goes once its sandbox ended.
    const handlerBundles = () => readdirSync(project.buildDir).filter((file) => file.startsWith("ws-hello-"));
    await expect.poll(handlerBundles, { timeout: 10_000 }).toHaveLength(1);
  });

  it("reports a syntax error on reload, then recovers on the next save", async () => {
    const project = tempProject();
    const { invoke, nextReload, text } = startLoader(project, true);
    const fn = decl("src/ws/hello.handler");
    await invoke(fn, {});

    project.write("src/ws/value.ts", `export const value: string = ;\n`);
    await expect.poll(() => text(), { timeout: 10_000 }).toContain("reload of ws/hello failed");
    await expect(invoke(fn, {})).rejects.toThrow(/esbuild could not bundle .*save again/s);

    const reloaded = nextReload();
    project.write("src/ws/value.ts", `export const value: string = "fixed";\n`);
    await reloaded;
    await expect.poll(() => invoke(fn, {}), { timeout: 10_000 }).toBe("fixed");
  });

  it("bundles workspace packages and leaves node_modules as imports", async () => {
    // Inside the repository, like the dev CLI: @pushgate/core is bundled from
    // source and its own import of zod resolves from the repository's node_modules.
    const repoRoot = resolve(import.meta.dirname, "../../../..");
    const project = tempProject(join(repoRoot, ".pushgate/test-tmp"));
    project.write(
      "src/ws/hello.ts",
      `import { SUBPROTOCOL, parseClientFrame } from "@pushgate/core";\nexport const handler = async () => [SUBPROTOCOL, parseClientFrame("{}").ok];\n`,
    );
    const { invoke } = startLoader(project, false);
    await expect(invoke(decl("src/ws/hello.handler"), {})).resolves.toEqual(["pushgate.v1", false]);
    expect(relative(repoRoot, project.buildDir).startsWith("..")).toBe(false);
  });
});

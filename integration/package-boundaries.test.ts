/**
 * Package boundaries: every package declares what its files import, the
 * workspace packages depend on each other without a cycle (so no test of a
 * lower package reaches a higher one), and other packages import a
 * workspace package only through its `exports` map.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const readJson = (path: string) => JSON.parse(readFileSync(join(root, path), "utf8"));
const rootManifest = readJson("package.json");
const workspaces: string[] = rootManifest.workspaces;

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  exports?: Record<string, string>;
}
const manifests = new Map<string, Manifest>(workspaces.map((dir) => [dir, readJson(`${dir}/package.json`)]));
const dirOf = new Map([...manifests].map(([dir, manifest]) => [manifest.name, dir]));

function files(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(join(root, dir));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = `${dir}/${name}`;
    if (name === "node_modules" || name.startsWith(".")) return [];
    if (statSync(join(root, path)).isDirectory()) return files(path);
    return /\.(ts|tsx|mts)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Bare specifiers a file imports, with whether the import is for types only. */
function imports(path: string): { specifier: string; typeOnly: boolean }[] {
  const text = readFileSync(join(root, path), "utf8");
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const pattern = /^\s*(?:import|export)\s+(type\s+)?(?:[^"'`;]*?\sfrom\s+)?["']([^"'.][^"']*)["']|import\(["']([^"'.][^"']*)["']\)/gm;
  for (const match of text.matchAll(pattern)) found.push({ specifier: (match[2] ?? match[3])!, typeOnly: Boolean(match[1]) });
  return found;
}

const packageName = (specifier: string) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");
const isBuiltin = (name: string) => name.startsWith("node:") || builtinModules.includes(name);

describe("package boundaries", () => {
  it.each(workspaces)("%s declares every package its source imports", (dir) => {
    const manifest = manifests.get(dir)!;
    const declared = new Set(Object.keys(manifest.dependencies ?? {}));
    const missing = files(`${dir}/src`).flatMap((file) =>
      imports(file)
        .filter(({ specifier, typeOnly }) => {
          const name = packageName(specifier);
          // A type-only import of a types package the root declares (aws-lambda) costs nothing at run time.
          if (typeOnly && `@types/${name}` in rootManifest.devDependencies) return false;
          return !isBuiltin(name) && !declared.has(name) && name !== manifest.name;
        })
        .map(({ specifier }) => `${file}: ${specifier}`),
    );
    expect(missing, "add these to the package's dependencies").toEqual([]);
  });

  it.each(workspaces)("%s declares every workspace package its tests import", (dir) => {
    const manifest = manifests.get(dir)!;
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);
    const missing = [...files(`${dir}/test`), ...files(`${dir}/e2e`)].flatMap((file) =>
      imports(file)
        .map(({ specifier }) => packageName(specifier))
        .filter((name) => dirOf.has(name) && name !== manifest.name && !declared.has(name))
        .map((name) => `${file}: ${name}`),
    );
    expect(missing, "declare these (a test may only use packages below its own)").toEqual([]);
  });

  it("has no cycle between workspace packages, so no lower package's test imports a higher one", () => {
    const edges = new Map(
      [...manifests.values()].map((m) => [
        m.name,
        Object.keys({ ...m.dependencies, ...m.devDependencies }).filter((name) => dirOf.has(name)),
      ]),
    );
    const cycles: string[] = [];
    const visit = (name: string, path: string[]) => {
      if (path.includes(name)) return void cycles.push([...path, name].join(" -> "));
      for (const next of edges.get(name) ?? []) visit(next, [...path, name]);
    };
    for (const name of edges.keys()) visit(name, []);
    expect(cycles).toEqual([]);
  });

  it("lists explicit entry points (no wildcard), and every import from another package goes through one", () => {
    for (const manifest of manifests.values()) {
      for (const key of Object.keys(manifest.exports ?? {})) expect(key, `${manifest.name} exports`).not.toContain("*");
    }
    const everyFile = [...workspaces, "stacks", "bench", "integration"].flatMap((dir) => files(dir)).concat(["sst.config.ts"]);
    const outside = everyFile.flatMap((file) =>
      imports(file)
        .map(({ specifier }) => specifier)
        .filter((specifier) => {
          const name = packageName(specifier);
          const dir = dirOf.get(name);
          if (!dir || file.startsWith(`${dir}/`)) return false;
          const subpath = `.${specifier.slice(name.length)}`;
          return !(subpath in (manifests.get(dir)!.exports ?? { ".": "" }));
        })
        .map((specifier) => `${file}: ${specifier}`),
    );
    expect(outside, "import an entry point listed in the package's exports, or add one").toEqual([]);
  });
});

/**
 * `npm run test:unit` must need no Java and no browser: every test file that
 * starts DynamoDB Local (directly or through the local cloud) or drives
 * Chromium is in vitest.config.ts's NEEDS_JAVA_OR_BROWSER list.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { NEEDS_JAVA_OR_BROWSER } from "../vitest.config";

const root = fileURLToPath(new URL("..", import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (name === "node_modules" || name.startsWith(".")) return [];
    if (statSync(join(root, path)).isDirectory()) return testFiles(path);
    return /\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

/** What starts Java or a browser, in a test file or the helpers it imports. */
const HEAVY = /startDynamoDbLocal|startLocalCloud|playwright|chromium/;

function needsHeavy(file: string, seen = new Set<string>()): boolean {
  if (seen.has(file)) return false;
  seen.add(file);
  const text = readFileSync(join(root, file), "utf8");
  if (HEAVY.test(text)) return true;
  const dir = file.slice(0, file.lastIndexOf("/"));
  for (const match of text.matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)) {
    const base = relative(root, join(root, dir, match[1]!));
    const helper = [".ts", ".tsx", "/index.ts"]
      .map((ext) => base + ext)
      .find((path) => {
        try {
          return statSync(join(root, path)).isFile();
        } catch {
          return false;
        }
      });
    // Only test helpers: a package's own src (the local cloud's modules) is not started by being imported.
    if (helper && !helper.includes("/src/") && needsHeavy(helper, seen)) return true;
  }
  return false;
}

const listed = (file: string) =>
  NEEDS_JAVA_OR_BROWSER.some((pattern) => (pattern.endsWith("/**") ? file.startsWith(pattern.slice(0, -2)) : file === pattern));

describe("the unit tier", () => {
  it("leaves out every test file that starts DynamoDB Local or Chromium", () => {
    const self = "integration/test-tiers.test.ts"; // names the markers, starts nothing
    const files = ["packages", "integration", "stacks", "bench"].flatMap(testFiles).filter((file) => file !== self);
    const heavyButUnit = files.filter((file) => needsHeavy(file) && !listed(file));
    expect(heavyButUnit, "add these to NEEDS_JAVA_OR_BROWSER in vitest.config.ts").toEqual([]);
  });
});

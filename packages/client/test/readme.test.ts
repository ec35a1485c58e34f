/**
 * The README's React example is a test file of the web package; this keeps the
 * copy in the README the same as the file that runs, so the example cannot rot.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");

describe("packages/client/README.md", () => {
  it("shows the live score example exactly as packages/web/test/live-score.example.test.tsx runs it", () => {
    const readme = read("../README.md");
    const blocks = [...readme.matchAll(/```tsx\n([\s\S]*?)```/g)].map((match) => match[1]);
    expect(blocks).toContain(read("../../web/test/live-score.example.test.tsx"));
  });
});

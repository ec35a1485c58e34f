/**
 * What the browser downloads: the client bundled as an app would bundle it.
 * From core it takes the wire module alone, and no schema library.
 */
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("the client's browser bundle", () => {
  it("takes only the wire module from core, and no zod", async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL("../src/index.ts", import.meta.url))],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((path) => path.includes("node_modules"))).toEqual([]);
    expect(inputs.filter((path) => path.includes("packages/core/"))).toEqual(["packages/core/src/wire.ts"]);
  });
});

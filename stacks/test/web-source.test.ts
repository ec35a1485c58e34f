import { describe, expect, it } from "vitest";
import { webSiteSource } from "../Web";

describe("webSiteSource", () => {
  it("builds packages/web with `npm run build` into dist by default", () => {
    expect(webSiteSource({})).toEqual({ path: "packages/web", buildCommand: "npm run build", buildOutput: "dist" });
  });

  it("uploads a prebuilt directory as is, running no build, when PUSHGATE_WEB_DIST names one", () => {
    expect(webSiteSource({ PUSHGATE_WEB_DIST: "/tmp/site" })).toEqual({ path: "/tmp/site", buildOutput: "." });
  });
});

import path from "node:path";
import { fileURLToPath } from "node:url";
import { Template } from "aws-cdk-lib/assertions";
import { App, getStack } from "sst/constructs";
import { initProject } from "sst/project.js";
import config from "../../sst.config";
import { Gateway } from "../Gateway";
import { Realtime } from "../Realtime";
import { Storage } from "../Storage";
import { Web } from "../Web";
import { applyNag } from "./nag";

export const stage = "test";
export const account = "123456789012";

/**
 * Synthesizes the app exactly as `sst.config.ts` declares it (the same
 * `stacks(app)`, default function props included), offline: vitest sets
 * NODE_ENV=test, which makes SST skip its AWS lookups. Handlers are really
 * bundled with esbuild, so they must exist; the site is a prebuilt fixture
 * (`PUSHGATE_WEB_DIST`) so `npm run build` never runs here.
 */
export async function synthesize() {
  process.env.SST_TELEMETRY_DISABLED = "1";
  process.env.PUSHGATE_WEB_DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/web-dist");

  const { name, region } = config.config();
  await initProject({ stage });
  const app = new App({ mode: "deploy", stage, name, region, account });
  config.stacks(app);
  const nag = applyNag(app);
  await app.finish();

  const templateOf = (stack: Parameters<typeof getStack>[0]) => Template.fromStack(getStack(stack));
  return {
    app,
    region,
    gateway: templateOf(Gateway),
    web: templateOf(Web),
    storage: templateOf(Storage),
    realtime: templateOf(Realtime),
    /** Filled by the synthesis above (the first templateOf). */
    nag,
  };
}

export type Synthesized = Awaited<ReturnType<typeof synthesize>>;

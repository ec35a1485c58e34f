import { beforeAll, describe } from "vitest";
import { deployedResources } from "./deployed-resources";
import { operations } from "./operations";
import { synthesize, type Synthesized } from "./synth";
import { views, type Views } from "./templates";
import { topologyWalk } from "./topology-walk";

// One synthesis for every template test: it bundles 16 handlers with esbuild
// (~8 s of a shared CPU, 30 s on a loaded machine), and two files synthesizing
// at once would write the same .sst/artifacts directories concurrently. So the
// suites live in helper files registered here, not in test files of their own:
// a vitest project with one worker and no isolation still synthesized twice
// (tried with vitest 4.1: the second file synthesized again).
let synthesized: { synth: Synthesized; view: Views };
// The synthesis takes 35 s on a quiet machine and over 90 s (the default hook
// timeout) beside the rest of the suite on a shared 2-core one: give it room.
const SYNTHESIS_TIMEOUT_MS = 300_000;
beforeAll(async () => {
  const synth = await synthesize();
  synthesized = { synth, view: views(synth) };
}, SYNTHESIS_TIMEOUT_MS);

describe("the deployed resources", () => deployedResources(() => synthesized));
describe("topology.ts, walked through the templates", () => topologyWalk(() => synthesized));
describe("the canary, its alarms and the operations dashboard", () => operations(() => synthesized));

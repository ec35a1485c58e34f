import { beforeAll, describe } from "vitest";
import { deployedResources } from "./deployed-resources";
import { synthesize, type Synthesized } from "./synth";
import { views, type Views } from "./templates";
import { topologyWalk } from "./topology-walk";

// One synthesis for every template test: it bundles 16 handlers with esbuild
// (~8 s of a shared CPU, 30 s on a loaded machine), and two files synthesizing
// at once would write the same .sst/artifacts directories concurrently. So the
// suites live in helper files registered here, not in test files of their own:
// a vitest project with one worker and no isolation still synthesized twice
// (tried with vitest 4.1: the second file's synthesis timed out).
let synthesized: { synth: Synthesized; view: Views };
beforeAll(async () => {
  const synth = await synthesize();
  synthesized = { synth, view: views(synth) };
});

describe("the deployed resources", () => deployedResources(() => synthesized));
describe("topology.ts, walked through the templates", () => topologyWalk(() => synthesized));

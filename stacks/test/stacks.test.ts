import { beforeAll, describe } from "vitest";
import { buildItems } from "./build-items";
import { synthesize, type Synthesized } from "./synth";
import { views, type Views } from "./templates";
import { topologyWalk } from "./topology-walk";

// One synthesis for every template test: it bundles 16 handlers with esbuild
// (~8 s of a shared CPU), and two files synthesizing at once would write the
// same .sst/artifacts directories concurrently.
let synthesized: { synth: Synthesized; view: Views };
beforeAll(async () => {
  const synth = await synthesize();
  synthesized = { synth, view: views(synth) };
  // ~9 s on an idle 2-core machine; several times that while other suites share the CPU.
}, 300_000);

describe("issue 4, Build 2", () => buildItems(() => synthesized));
describe("topology.ts, walked", () => topologyWalk(() => synthesized));

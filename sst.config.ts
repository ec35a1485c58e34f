import type { SSTConfig } from "sst";
import { topology } from "@pushgate/core/topology";
import { Gateway } from "./stacks/Gateway";
import { suppressAcceptedFindings } from "./stacks/nag-suppressions";
import { Realtime } from "./stacks/Realtime";
import { Storage } from "./stacks/Storage";
import { Web } from "./stacks/Web";

/** The stages whose data outlives `sst remove`. */
const keptStages = new Set(["prod"]);

export default {
  config() {
    return { name: topology.app, region: "us-east-1" };
  },
  stacks(app) {
    app.setDefaultFunctionProps({
      // Node 20 is end-of-life; Graviton is cheaper per ms and starts as fast.
      runtime: "nodejs22.x",
      architecture: "arm_64",
      nodejs: { format: "esm", minify: true },
      logRetention: "two_weeks",
    });
    // Personal and preview stages leave nothing behind; prod keeps its tables and bucket.
    if (!keptStages.has(app.stage)) app.setDefaultRemovalPolicy("destroy");

    // Ordered by what each needs: the site needs the API URLs, the bucket's
    // CORS the site's origin, the handlers the tables and the bucket.
    app.stack(Gateway).stack(Web).stack(Storage).stack(Realtime);
    // cdk-nag findings accepted with a reason; the stacks tests fail on any other.
    suppressAcceptedFindings(app);
  },
} satisfies SSTConfig;

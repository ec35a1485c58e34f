/**
 * What a function's cold start loads: its handler bundled as the local cloud
 * bundles it, imported in a fresh Node process. A handler loads only the AWS
 * SDK clients it uses at module load; the others come on first use
 * (core's adapters/aws-clients.ts). bench/handler-cold-start.ts measures the time.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { createHandlerLoader } from "../../src/invoke";
import { collectingLog } from "./fake-time";

const rootDir = resolve(import.meta.dirname, "../../../..");
const loader = createHandlerLoader({ rootDir, watch: false, log: collectingLog().log });
afterAll(() => loader.close());

// In the child: import the bundle, then list the SDK client packages Node's CommonJS loader holds.
const probe = `
await import(process.argv[1]);
const { createRequire } = await import("node:module");
const clients = new Set();
for (const file of Object.keys(createRequire(import.meta.url).cache)) {
  const client = file.match(/node_modules\\/@aws-sdk\\/(client-[^/]+)/)?.[1];
  if (client) clients.add(client);
}
console.log(JSON.stringify([...clients].sort()));
`;

async function sdkClientsLoadedBy(handler: string): Promise<string[]> {
  const bundle = await loader.bundle({
    handler: `packages/functions/src/${handler}.handler`,
    timeoutSeconds: 10,
    memoryMB: 512,
    grants: {},
  });
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", probe, pathToFileURL(bundle.file).href], {
    cwd: rootDir,
    env: { PATH: process.env.PATH ?? "", POWERTOOLS_LOG_LEVEL: "SILENT" },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as string[];
}

describe("a handler's cold start", () => {
  it("loads only DynamoDB's SDK client at module load: S3, SSM, SQS and the Management API wait for their first use", async () => {
    expect(await sdkClientsLoadedBy("ws/ping")).toEqual(["client-dynamodb"]);
    expect(await sdkClientsLoadedBy("http/snapshots")).toEqual(["client-dynamodb"]);
  });
});

import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type ViteDevServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, writeEndpointsFile, type Endpoints } from "../src/cloud";
import { startWebApp, type WebApp } from "../src/web-app";
import { listeningAddresses } from "./listening";

// The dev servers must hand out nothing secret: not .pushgate/ (the JWT secret,
// the operator key), not the repository's root files, and at /endpoints.json
// only the two URLs a browser needs. A canary file in .pushgate/ stands in for
// secrets.json, which a fresh checkout does not have (a missing file would
// answer 404 even from a server that serves everything).
const canarySecret = `canary-${randomBytes(8).toString("hex")}`;
const canaryFile = join(repoRoot, ".pushgate", `vite-canary-${process.pid}-${randomBytes(4).toString("hex")}.json`);
const operatorKey = `operator-${randomBytes(8).toString("hex")}`;

const endpoints: Endpoints = {
  websocketUrl: "ws://127.0.0.1:3001/local",
  managementEndpoint: "http://127.0.0.1:3001/local",
  httpApiUrl: "http://127.0.0.1:3002",
  dynamodbEndpoint: "http://127.0.0.1:8000",
  s3Endpoint: "http://127.0.0.1:4569",
  ssmEndpoint: "http://127.0.0.1:4570",
  sqsEndpoint: "http://127.0.0.1:4571",
  region: "us-east-1",
  tables: { connections: "local-pushgate-connections" },
  queues: { fanoutTasks: "http://127.0.0.1:4571/123456789012/local-pushgate-fanoutTasks" },
  buckets: { snapshots: "local-pushgate-snapshots" },
  webUrl: null,
  adminCredentials: { accessKeyId: "AKIAADMIN", secretAccessKey: `admin-${randomBytes(8).toString("hex")}` },
  operatorKey,
};

/** A GET with the path sent exactly as written (fetch would normalize `..`). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: url.hostname, port: url.port, path, method: "GET" }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

const secretPaths = [
  `/@fs${canaryFile}`,
  `/@fs${join(repoRoot, ".pushgate", "secrets.json")}`,
  `/@fs${join(repoRoot, "packages", "web")}/../../.pushgate/${canaryFile.split("/").pop()}`,
  `/@fs${join(repoRoot, "package.json")}`,
];

/** Refused (403), or for a file that does not exist here the app's own index.html; never the file. */
function expectNothingSecret(response: { status: number; body: string }): void {
  expect(response.status === 403 || (response.status === 200 && response.body.includes('<div id="root"></div>'))).toBe(true);
  expect(response.body).not.toMatch(/^\s*\{/); // no JSON file
  expect(response.body).not.toContain(canarySecret);
  expect(response.body).not.toContain('"workspaces"'); // the root package.json
  expect(response.body).not.toContain(operatorKey);
  expect(response.body).not.toContain(endpoints.adminCredentials.secretAccessKey);
}

beforeAll(() => {
  mkdirSync(join(repoRoot, ".pushgate"), { recursive: true });
  writeFileSync(canaryFile, JSON.stringify({ JWT_SECRET: canarySecret }), { mode: 0o600 });
});
afterAll(() => rmSync(canaryFile, { force: true }));

describe("npm start's web app", () => {
  let web: WebApp;
  beforeAll(async () => {
    web = await startWebApp({ port: 0, endpoints: () => endpoints });
  });
  afterAll(async () => {
    await web?.stop();
  });

  it.each(secretPaths)("does not serve %s", async (path) => {
    expectNothingSecret(await rawGet(web.url, path));
  });

  it("serves at /endpoints.json only the WebSocket and HTTP API URLs", async () => {
    const response = await fetch(`${web.url}/endpoints.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ websocketUrl: endpoints.websocketUrl, httpApiUrl: endpoints.httpApiUrl });
  });

  it("listens on 127.0.0.1 only", () => {
    expect(listeningAddresses(Number(new URL(web.url).port))).toEqual(["127.0.0.1"]);
  });

  it("still serves the app and the client package it runs", async () => {
    expect((await rawGet(web.url, "/")).status).toBe(200);
    expect((await rawGet(web.url, `/@fs${join(repoRoot, "packages", "client", "src", "index.ts")}`)).status).toBe(200);
  });
});

describe("npm run dev -w packages/web (the same vite.config.ts, on its own)", () => {
  let server: ViteDevServer;
  let url: string;
  const scratch = mkdtempSync(join(tmpdir(), "pushgate-web-dev-"));
  const saved = process.env.PUSHGATE_BROWSER_ENDPOINTS_FILE;
  beforeAll(async () => {
    // As npm start leaves them: endpoints.json (secrets) and, beside it, the browser's part.
    writeEndpointsFile(scratch, endpoints);
    process.env.PUSHGATE_BROWSER_ENDPOINTS_FILE = join(scratch, "browser-endpoints.json");
    server = await createServer({
      configFile: join(repoRoot, "packages/web/vite.config.ts"),
      logLevel: "silent",
      server: { host: "127.0.0.1", port: 0 },
    });
    await server.listen();
    const address = server.httpServer!.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await server?.close();
    if (saved === undefined) delete process.env.PUSHGATE_BROWSER_ENDPOINTS_FILE;
    else process.env.PUSHGATE_BROWSER_ENDPOINTS_FILE = saved;
    rmSync(scratch, { recursive: true, force: true });
  });

  it.each(secretPaths)("does not serve %s", async (path) => {
    expectNothingSecret(await rawGet(url, path));
  });

  it("serves at /endpoints.json only the browser's part of endpoints.json (no operator key)", async () => {
    const response = await rawGet(url, "/endpoints.json");
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ websocketUrl: endpoints.websocketUrl, httpApiUrl: endpoints.httpApiUrl });
  });
});

/**
 * `npm start`: the local cloud with pushgate's functions, the web app and the
 * demo simulator, like `sst dev` but offline. Ctrl-C stops everything.
 *
 *   npm start                 everything, data kept under .pushgate/
 *   npm start -- --no-demo    no simulator: you are the producer
 *   npm start -- --no-web     no web app (API and sockets only)
 *   npm start -- --fresh      forget the data of earlier runs first
 *   npm start -- --host 0.0.0.0   listen on every interface (a phone on the same network); loopback otherwise
 *   npm start -- --show-operator-key   print the operator key (otherwise it stays in .pushgate/endpoints.json, mode 0600)
 *   npm start -- --issuer local  also trust a local OIDC issuer (bring your own identity, offline)
 *   npm start -- --port-status N       the live status as JSON at http://127.0.0.1:N/status (default 3003; loopback only)
 *   npm start -- --canary-every S      run the canary every S seconds (default 15; 0: only its minute schedule)
 *   npm start -- --gateway-processes N the gateway's sockets in N child processes (scale runs past one process's open files)
 *
 * Every few seconds it prints one status line: connections, publications/s,
 * deliveries/s and the last canary latency (live-status.ts).
 */
import { rmSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot, startLocalCloud, writeEndpointsFile, type Endpoints } from "./cloud";
import { startSimulator, type Simulator } from "./demo/simulator";
import type { Log } from "./log";
import { isLoopbackHost, isWildcardHost, loopbackHost } from "./listen-host";
import { startLocalIssuer, type LocalIssuer } from "./oidc/local-issuer";
import { startWebApp, type WebApp } from "./web-app";
import { asCanaryReport, describeCanary } from "./canary-report";
import { createStatusTracker, startStatusServer, statusLine, type StatusServer } from "./live-status";
import { systemClock } from "@pushgate/core/wire";

const STATUS_EVERY_MS = 5_000;

const usage =
  "usage: npm start [-- --no-demo] [-- --no-web] [-- --fresh] [-- --issuer local] [-- --port-ws N] [-- --port-http N] [-- --port-web N] [-- --port-status N] [-- --canary-every S] [-- --gateway-processes N] [-- --host ADDRESS] [-- --show-operator-key]";

async function main() {
  const { values } = parseArgs({
    options: {
      "no-demo": { type: "boolean", default: false },
      "no-web": { type: "boolean", default: false },
      fresh: { type: "boolean", default: false },
      issuer: { type: "string" },
      "port-ws": { type: "string" },
      "port-http": { type: "string" },
      "port-web": { type: "string" },
      "port-status": { type: "string" },
      "canary-every": { type: "string" },
      "gateway-processes": { type: "string" },
      host: { type: "string" },
      "show-operator-key": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }).valueOf() as { values: Record<string, string | boolean | undefined> };
  if (values.help) return console.log(usage);
  const port = (name: string, fallback: number) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`--${name} ${raw} is not a port number; ${usage}`);
    return value;
  };

  const gatewayProcesses = Number(values["gateway-processes"] ?? 1);
  if (!Number.isInteger(gatewayProcesses) || gatewayProcesses < 1)
    throw new Error(`--gateway-processes ${values["gateway-processes"]} is not a number of processes (1 or more); ${usage}`);

  const host = typeof values.host === "string" ? values.host : loopbackHost;
  if (!host.trim()) throw new Error(`--host needs an address, e.g. --host 0.0.0.0; ${usage}`);
  if (!isLoopbackHost(host)) console.error(exposureWarning(host));

  if (values.issuer !== undefined && values.issuer !== "local")
    throw new Error(`--issuer ${values.issuer}: only "local" is known here (on AWS, set PUSHGATE_OIDC_ISSUER: docs/deploy.md); ${usage}`);
  const stateDir = join(repoRoot, ".pushgate");
  if (values.fresh) rmSync(join(stateDir, "data"), { recursive: true, force: true });

  const started = Date.now();
  const log: Log = (level, message) => {
    if (level === "debug") return;
    (level === "error" || level === "warn" ? console.error : console.log)(`  ${message}`);
  };
  console.log("pushgate local cloud: starting (DynamoDB Local, S3, gateway, HTTP API, stream consumers)");
  // The functions trust it alongside anonymous sessions, as a stage configured for Cognito would.
  const issuer: LocalIssuer | undefined = values.issuer === "local" ? await startLocalIssuer() : undefined;
  const cloud = await startLocalCloud({
    ...(issuer && { environment: { PUSHGATE_OIDC_ISSUER: issuer.issuer, PUSHGATE_OIDC_AUDIENCE: issuer.audience } }),
    persist: true,
    stateDir,
    hotReload: true,
    onReload: (handler) => console.log(`  reloaded ${handler} (next invocation runs the new code; sockets stay open)`),
    ports: { websocket: port("port-ws", 3001), http: port("port-http", 3002) },
    ...(gatewayProcesses > 1 && { gatewayProcesses }),
    host,
    log,
  });

  let web: WebApp | undefined;
  let simulator: Simulator | undefined;
  let statusServer: StatusServer | undefined;
  const timers: { status?: ReturnType<typeof setTimeout>; canary?: ReturnType<typeof setTimeout> } = {};
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\npushgate local cloud: ${signal}, stopping`);
    clearTimeout(timers.status);
    clearTimeout(timers.canary);
    await statusServer?.stop();
    await simulator?.stop();
    await web?.stop();
    await cloud.stop();
    await issuer?.stop();
    console.log("pushgate local cloud: stopped, nothing left running");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("Ctrl-C"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  const endpoints: Endpoints = { ...cloud.endpoints };
  if (!values["no-web"]) {
    web = await startWebApp({ port: port("port-web", 5173), host, endpoints: () => endpoints, log });
    endpoints.webUrl = web.url;
  }
  const file = writeEndpointsFile(stateDir, endpoints);
  if (!values["no-demo"]) {
    simulator = startSimulator({
      httpApiUrl: endpoints.httpApiUrl!,
      operatorKey: endpoints.operatorKey,
      log: (line) => console.log(`  ${line}`),
    });
  }

  const canaryEvery = Number(values["canary-every"] ?? 15);
  if (!Number.isFinite(canaryEvery) || canaryEvery < 0)
    throw new Error(`--canary-every ${values["canary-every"]} is not a number of seconds; ${usage}`);
  const tracker = createStatusTracker(() => cloud.counters(), systemClock);
  statusServer = await startStatusServer({ port: port("port-status", 3003), status: () => tracker.current() });

  console.log(`
pushgate local cloud: ready in ${((Date.now() - started) / 1000).toFixed(1)} s
  web app         ${endpoints.webUrl ?? "(off: --no-web)"}${networkUrls(host, endpoints.webUrl)
    .map((url) => `\n  on your network ${url}`)
    .join("")}
  WebSocket       ${endpoints.websocketUrl}
  HTTP API        ${endpoints.httpApiUrl}
  @connections    ${endpoints.managementEndpoint}
  DynamoDB        ${endpoints.dynamodbEndpoint}
  S3              ${endpoints.s3Endpoint}
  endpoints       ${file}  (mode 0600; the operator key for x-operator-key is in there)${values["show-operator-key"] ? `\n  operator key    ${endpoints.operatorKey}` : ""}
  dead letters    ${join(stateDir, "dead-letters")}/<consumer>.jsonl
${
  issuer
    ? `  OIDC issuer     ${issuer.issuer}  (audience ${issuer.audience}; a token: curl -X POST ${issuer.issuer}/token -d '{"sub":"alice"}')
`
    : ""
}
  live status     ${statusServer.url}  (one line every ${STATUS_EVERY_MS / 1000} s below; the canary every ${canaryEvery || 60} s)

${endpoints.webUrl ? `Open ${endpoints.webUrl} to see the waiting room, the scoreboard and your reports.` : ""}
${simulator ? "The demo simulator is publishing scores and advancing the queue (--no-demo turns it off)." : `Publish a score: curl -X POST ${endpoints.httpApiUrl}/games/g1/score -H "x-operator-key: $(node -p 'require("${file}").operatorKey')" -d '{"home":7,"away":3}'`}
Edit a handler in packages/functions or packages/core and save: it reloads without dropping sockets.
Ctrl-C stops everything.`);

  // The canary loop: one run at a time, the next one canaryEvery seconds after the last ended.
  const canaryRun = async () => {
    try {
      const report = asCanaryReport(await cloud.runSchedule("canary"));
      if (report) {
        tracker.recordCanary(report);
        if (!report.ok) console.error(`  ${describeCanary(report)}`);
      }
    } catch (error) {
      if (!stopping) console.error(`  canary: the run threw: ${(error as Error).message}`);
    }
    if (!stopping && canaryEvery > 0) timers.canary = setTimeout(() => void canaryRun(), canaryEvery * 1000);
  };
  if (canaryEvery > 0) void canaryRun();
  const statusTick = () => {
    if (stopping) return;
    console.log(`  ${statusLine(tracker.sample())}`);
    timers.status = setTimeout(statusTick, STATUS_EVERY_MS);
  };
  timers.status = setTimeout(statusTick, STATUS_EVERY_MS);
}

/** The web app's URL on each of this machine's network addresses, when it listens on all of them (for the phone). */
function networkUrls(host: string, webUrl: string | null): string[] {
  if (!webUrl || !isWildcardHost(host)) return [];
  const { port } = new URL(webUrl);
  return Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && !address.internal && address.family === "IPv4")
    .map((address) => `http://${address!.address}:${port}`);
}

/** Said before anything listens, so the developer can Ctrl-C before it is exposed. */
function exposureWarning(host: string): string {
  return [
    `WARNING: --host ${host}: every service of the local cloud listens on ${host}, reachable by anyone on your network:`,
    "  DynamoDB, S3 and SSM (behind the local IAM: the admin credentials in .pushgate/endpoints.json open everything),",
    "  the WebSocket gateway and its @connections API, the HTTP API and the web app. DynamoDB Local itself stays on 127.0.0.1.",
    "  Use it on a network you trust (a phone on your own Wi-Fi); leave --host out to stay on 127.0.0.1.",
  ].join("\n");
}

main().catch((error: Error) => {
  console.error(`pushgate local cloud: could not start: ${error.message}`);
  console.error("Fix the cause above and run npm start again; npm start -- --fresh starts from empty tables.");
  process.exit(1);
});

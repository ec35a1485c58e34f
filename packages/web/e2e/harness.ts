/**
 * What every end-to-end file needs: a local cloud in memory, the web app on
 * Vite's dev server against it, and Debian's Chromium driven by playwright-core.
 * The test is the producer (no demo simulator): it publishes over the HTTP API
 * with the operator key, as a scoreboard operator would.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startLocalCloud, type Endpoints, type LocalCloud } from "@pushgate/local";
import { startWebApp, type WebApp } from "@pushgate/local/web-app";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
const repo = join(dirname(fileURLToPath(import.meta.url)), "../../..");
/**
 * Every run takes the screenshots (a broken view shows there first), but only
 * `npm run screenshots` replaces the ones the README shows, so `npm test`
 * leaves the work tree clean.
 */
export const imgDir = process.env.UPDATE_SCREENSHOTS ? join(repo, "docs/img") : join(repo, ".pushgate/screenshots");

/** docs/aws-facts.md "Browsers and the dev server": Debian's Chromium, headless, nothing reaching out to the network on its own. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface Stack {
  cloud: LocalCloud;
  endpoints: Endpoints;
  web: WebApp;
  browser: Browser;
  /** Child processes of this worker that the stack started (DynamoDB Local's java, Chromium). */
  pids: number[];
  stop(): Promise<void>;
}

/** The direct children of this process, as `pid command` pairs. */
export function childProcesses(): { pid: number; command: string }[] {
  let out = "";
  try {
    out = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
  } catch {
    // ps exits 1 when there are no children.
    return [];
  }
  return out
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const [pid = "", ...command] = line.split(/\s+/);
      return { pid: Number(pid), command: command.join(" ") };
    })
    .filter((child) => child.command !== "ps");
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startStack(): Promise<Stack> {
  const before = new Set(childProcesses().map((child) => child.pid));
  const cloud = await startLocalCloud({});
  let web: WebApp | undefined;
  let browser: Browser | undefined;
  try {
    const endpoints: Endpoints = { ...cloud.endpoints };
    web = await startWebApp({ port: 0, endpoints: () => endpoints });
    endpoints.webUrl = web.url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const pids = [
      cloud.dynamodbPid,
      ...childProcesses()
        .map((child) => child.pid)
        .filter((pid) => !before.has(pid) && pid !== cloud.dynamodbPid),
    ];
    const started = { cloud, endpoints, web, browser };
    return {
      ...started,
      pids,
      stop: async () => {
        // Each step runs even if an earlier one failed; the first failure is rethrown.
        const failures: unknown[] = [];
        for (const step of [() => started.browser.close(), () => started.web.stop(), () => started.cloud.stop()]) {
          await step().catch((error: unknown) => failures.push(error));
        }
        if (failures.length > 0) throw failures[0];
      },
    };
  } catch (error) {
    await browser?.close().catch(() => {});
    await web?.stop().catch(() => {});
    await cloud.stop();
    throw error;
  }
}

/** A fresh fan: its own context (own sessionStorage, so its own session), at a phone's size. */
export async function openFan(
  stack: Stack,
  route: "scores" | "queue" | "results",
  viewport: { width: number; height: number } = { width: 390, height: 844 },
  /** Runs before the page is loaded (e.g. `page.addInitScript` for an observer that must see the load). */
  beforeLoad?: (page: Page) => Promise<unknown>,
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await stack.browser.newContext({
    viewport,
    deviceScaleFactor: 2,
    colorScheme: "light",
    locale: "en-US",
    // The page honours prefers-reduced-motion (no transitions), so a screenshot shows the settled state.
    reducedMotion: "reduce",
  });
  const page = await context.newPage();
  // What went wrong in the page, for the failure message.
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error" && message.type() !== "warning") return;
    // Expected: a snapshot not in S3 yet (no score so far, or the subscribe answer's seq is ahead of
    // the stream that writes the snapshot) is a 404 the client handles; Chromium logs every failed load.
    if (/status of 404/.test(message.text()) && /\/snapshots\//.test(message.location().url)) return;
    problems.push(`console.${message.type()}: ${message.text()} (${message.location().url})`);
  });
  if (process.env.PUSHGATE_E2E_TRACE) {
    page.on("request", (request) => console.log(`${new Date().toISOString()} -> ${request.method()} ${request.url().slice(0, 140)}`));
    page.on("response", (response) => console.log(`${new Date().toISOString()} <- ${response.status()} ${response.url().slice(0, 140)}`));
    page.on("console", (message) => console.log(`${new Date().toISOString()} console.${message.type()}: ${message.text()}`));
    page.on("websocket", (socket) => {
      console.log(`${new Date().toISOString()} ws open ${socket.url()}`);
      socket.on("framesent", (frame) => console.log(`${new Date().toISOString()} ws> ${String(frame.payload).slice(0, 200)}`));
      socket.on("framereceived", (frame) => console.log(`${new Date().toISOString()} ws< ${String(frame.payload).slice(0, 200)}`));
      socket.on("close", () => console.log(`${new Date().toISOString()} ws closed`));
    });
  }
  await beforeLoad?.(page);
  await page.goto(`${stack.web.url}/#/${route}`);
  return { context, page, problems };
}

/** An operator call on the HTTP API (`x-operator-key`), answering the parsed JSON. */
export async function operator(
  endpoints: Endpoints,
  path: string,
  body: unknown,
  method: "POST" | "PUT" | "DELETE" = "POST",
): Promise<Record<string, unknown>> {
  const response = await fetch(`${endpoints.httpApiUrl}${path}`, {
    method,
    headers: { "content-type": "application/json", "x-operator-key": endpoints.operatorKey },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * `operator`, retried (3 tries) when the API answers a 5xx, as a producer does: a cold handler on a
 * loaded machine can time out. Only for calls whose repeat is harmless (a PUT, a score of absolute
 * values), never for `advance`, whose repeat would move the queue twice.
 */
export async function repeatableOperator(...call: Parameters<typeof operator>): Promise<Record<string, unknown>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operator(...call);
    } catch (error) {
      if (attempt === 3 || !/answered 5\d\d/.test(String(error))) throw error;
    }
  }
}

/** Other fans queueing before ours: each a session of its own, joining over the HTTP API. */
export async function otherFansJoin(endpoints: Endpoints, eventId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const session = await fetch(`${endpoints.httpApiUrl}/session`, { method: "POST" });
    if (!session.ok) throw new Error(`POST /session answered ${session.status}: ${await session.text()}`);
    const { token } = (await session.json()) as { token: string };
    const join = await fetch(`${endpoints.httpApiUrl}/queues/${eventId}/join`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: "{}",
    });
    if (!join.ok) throw new Error(`POST /queues/${eventId}/join answered ${join.status}: ${await join.text()}`);
  }
}

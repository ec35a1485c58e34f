/**
 * `npm start`'s live status (issue 14): open connections, publications/s,
 * deliveries/s and the last canary run, as one line every few seconds and as
 * JSON at `GET /status` on a loopback port. Rates are the counters' change
 * since the previous sample; the clock is injected so tests drive it.
 */
import { createServer, type Server } from "node:http";
import type { CanaryReport } from "@pushgate/core/usecases/canary";
import type { Clock } from "@pushgate/core/wire";
import type { LocalCounters } from "./cloud";
import { listen } from "./http-server";
import { loopbackHost } from "./listen-host";

export interface LiveStatus {
  at: string;
  connections: number;
  publicationsPerSecond: number;
  deliveriesPerSecond: number;
  /** The newest canary run; null before the first. */
  canary: { at: string; ok: boolean; latencyMs?: number; step?: string; reason?: string } | null;
}

export interface StatusTracker {
  /** Reads the counters and answers the status, with rates over the time since the previous sample. */
  sample(): LiveStatus;
  /** The newest status without sampling (what GET /status serves between samples). */
  current(): LiveStatus;
  recordCanary(report: CanaryReport): void;
}

export function createStatusTracker(read: () => LocalCounters, clock: Clock): StatusTracker {
  let previous = { at: clock.now(), counters: read() };
  let canary: LiveStatus["canary"] = null;
  let latest: LiveStatus = {
    at: new Date(previous.at).toISOString(),
    connections: previous.counters.connections,
    publicationsPerSecond: 0,
    deliveriesPerSecond: 0,
    canary,
  };

  // A counter that went down restarted (the gateway was restarted): count from 0.
  const rate = (now: number, before: number, seconds: number) =>
    seconds > 0 ? Math.round(((now >= before ? now - before : now) / seconds) * 10) / 10 : 0;

  return {
    sample() {
      const at = clock.now();
      const counters = read();
      const seconds = (at - previous.at) / 1000;
      latest = {
        at: new Date(at).toISOString(),
        connections: counters.connections,
        publicationsPerSecond: rate(counters.publications, previous.counters.publications, seconds),
        deliveriesPerSecond: rate(counters.deliveries, previous.counters.deliveries, seconds),
        canary,
      };
      previous = { at, counters };
      return latest;
    },
    current: () => ({ ...latest, canary }),
    recordCanary(report) {
      const at = new Date(clock.now()).toISOString();
      canary = report.ok ? { at, ok: true, latencyMs: report.latencyMs } : { at, ok: false, step: report.step, reason: report.reason };
    },
  };
}

/** The one line `npm start` prints. */
export function statusLine(status: LiveStatus): string {
  const canary = !status.canary
    ? "canary: not run yet"
    : status.canary.ok
      ? `canary ${status.canary.latencyMs} ms`
      : `canary FAILED at ${status.canary.step}`;
  return `${status.at.slice(11, 19)}  ${status.connections} connections  ${status.publicationsPerSecond} publications/s  ${status.deliveriesPerSecond} deliveries/s  ${canary}`;
}

export interface StatusServer {
  url: string;
  stop(): Promise<void>;
}

/** `GET /status` as JSON, on loopback only whatever `--host` says: it describes this machine's traffic. */
export async function startStatusServer(options: { port: number; status: () => LiveStatus }): Promise<StatusServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== "GET" || (request.url ?? "").split("?")[0] !== "/status") {
      response.writeHead(404, { "content-type": "application/json" });
      return void response.end(JSON.stringify({ error: { code: "NOT_FOUND", message: "the only resource here is GET /status" } }));
    }
    const body = JSON.stringify(options.status());
    response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    response.end(body);
  });
  const port = await listen(server, options.port, loopbackHost);
  return {
    url: `http://${loopbackHost}:${port}/status`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * What running every function in its own sandbox costs: the round trip of one
 * `ping` frame through the gateway (median and p99 over --pings sequential
 * pings) and the RSS of the local cloud's process once every function of the
 * topology has run at least once (all warm).
 *
 *   npx tsx bench/invoke-overhead.ts [--pings 1000]
 *
 * Prints one JSON line. DynamoDB Local is a separate java process and is not
 * in the RSS.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import WebSocket from "ws";
import { SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from "@pushgate/core/wire";
import { startLocalCloud } from "@pushgate/local";
import { round, summarize } from "./lib/stats";

const argument = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const pings = argument("pings", 1000);

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

// The per-connection frame rate limit (10/s, burst 20) would throttle a ping loop.
const cloud = await startLocalCloud({
  environment: { POWERTOOLS_LOG_LEVEL: "SILENT", PUSHGATE_FRAME_RATE_PER_SECOND: "1000", PUSHGATE_FRAME_BURST: "10000" },
});
try {
  const http = async (method: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${cloud.endpoints.httpApiUrl}${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json().catch(() => null)) as Record<string, unknown> | null };
  };
  const { token } = (await http("POST", "/session", {})).body as { token: string };
  const socket = new WebSocket(cloud.endpoints.websocketUrl, [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`]);
  await new Promise((resolve, reject) => (socket.once("open", resolve), socket.once("error", reject)));
  const frames: ((data: string) => void)[] = [];
  socket.on("message", (data) => frames.shift()?.(String(data)));
  const send = (frame: object) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(frame)} within 10 s`)), 10_000);
      frames.push((data) => (clearTimeout(timer), resolve(data)));
      socket.send(JSON.stringify(frame));
    });

  console.error("pinging");
  // Warm-up: the first pings pay the cold start (bundle, sandbox, SDK clients).
  for (let i = 0; i < 20; i++) await send({ action: "ping", id: `w${i}` });
  const samples: number[] = [];
  for (let i = 0; i < pings; i++) {
    const started = performance.now();
    await send({ action: "ping", id: `p${i}` });
    samples.push(performance.now() - started);
  }

  // Every other function once: each route, and a write to each streamed table.
  const operator = { "x-operator-key": cloud.endpoints.operatorKey };
  const auth = { authorization: `Bearer ${token}` };
  await send({ action: "subscribe", id: "s1", topics: ["game/warm-g1"] });
  await send({ action: "unsubscribe", id: "u1", topics: ["game/warm-g1"] });
  await send({ action: "no-such-action", id: "d1" });
  console.error("warming the HTTP routes and the stream consumers");
  await http("POST", "/games/warm-g1/score", { home: 1, away: 0 }, operator);
  await http("POST", "/queues/warm-e1/join", {}, auth);
  await http("POST", "/queues/warm-e1/advance", { by: 1 }, operator);
  await http("POST", "/jobs", { kind: "contest-report" }, auth);
  await http("GET", "/snapshots", undefined, auth).catch(() => undefined);
  socket.close();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await cloud.drained();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  gc();
  gc();
  const rssMB = process.memoryUsage().rss / 2 ** 20;
  const summary = summarize(samples);
  console.log(JSON.stringify({ pings, medianMs: round(summary.p50, 3), p99Ms: round(summary.p99, 3), rssMB: round(rssMB) }));
} finally {
  await cloud.stop();
}

/**
 * Soak: many real clients (`@pushgate/client` over `ws`) on the local cloud
 * under steady publishes and churn, then a checker that compares every
 * client's final state with the source tables. Not part of `npm test`.
 *
 *   npm run soak                                   # 2,000 connections, 10 minutes
 *   npm run soak -- --connections 200 --minutes 1  # a quick run
 *   flags: --connections N --minutes M --games G --publishes-per-second P
 *          --churn-per-second C --topics-per-client K --out file.json
 *
 * Reports: connections held, publishes, churn, lost final states (must be 0),
 * orphaned subscriptions at the end (items whose connection is gone: must be 0),
 * memory over time (this process and DynamoDB Local) and errors; exits 1 when
 * a final state was lost or a subscription orphaned.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startLocalCloud } from "@pushgate/local";
import { auditSubscriptions, realClient, sourceGame, type WatchedClient } from "../clients";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "2000" },
    minutes: { type: "string", default: "10" },
    games: { type: "string", default: "20" },
    "publishes-per-second": { type: "string", default: "5" },
    "churn-per-second": { type: "string" },
    "topics-per-client": { type: "string", default: "2" },
    out: { type: "string" },
  },
});
const num = (name: keyof typeof values, fallback?: number): number => {
  const raw = values[name] as string | undefined;
  const value = raw === undefined ? fallback : Number(raw);
  if (value === undefined || !Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number (got ${raw})`);
  return value;
};
const connections = num("connections");
const minutes = num("minutes");
const games = Math.max(1, num("games"));
const publishesPerSecond = num("publishes-per-second");
const churnPerSecond = num("churn-per-second", Math.max(1, Math.round(connections / 100)));
const topicsPerClient = Math.min(games, Math.max(1, num("topics-per-client")));

const progress = (message: string) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rssOf = (pid: number) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
};
const mb = (bytes: number) => Math.round(bytes / 1048576);

async function main() {
  progress(
    `starting the local cloud; then ${connections} clients, ${minutes} min, ${publishesPerSecond} publishes/s over ${games} games, churn ${churnPerSecond}/s`,
  );
  const cloud = await startLocalCloud({
    environment: { POWERTOOLS_LOG_LEVEL: "CRITICAL" },
    gatewayLimits: { connectionsPerSecond: 1000, connectionBurst: 1000 },
  });
  const errors: Record<string, number> = {};
  const countError = (kind: string) => (errors[kind] = (errors[kind] ?? 0) + 1);
  const memory: { atSeconds: number; rssMB: number; heapMB: number; dynamodbMB: number; live: number }[] = [];
  const started = Date.now();
  const sample = (clients: WatchedClient[]) =>
    memory.push({
      atSeconds: Math.round((Date.now() - started) / 1000),
      rssMB: mb(process.memoryUsage().rss),
      heapMB: mb(process.memoryUsage().heapUsed),
      dynamodbMB: mb(rssOf(cloud.dynamodbPid)),
      live: clients.filter((c) => c.client.getState() === "live").length,
    });

  const gameIds = Array.from({ length: games }, (_, i) => `soak-${i}`);
  const clients: WatchedClient[] = [];
  const topicsOf = new Map<WatchedClient, string[]>();
  try {
    // Ramp up in waves so the handshakes ($connect, POST /session) are not one spike.
    for (let i = 0; i < connections; i++) {
      const topics = [...gameIds]
        .sort(() => Math.random() - 0.5)
        .slice(0, topicsPerClient)
        .map((id) => `game/${id}`);
      const watched = realClient(cloud, topics);
      watched.client.on("error", (error) => countError(`client:${error.code}`));
      clients.push(watched);
      topicsOf.set(watched, topics);
      if (i % 100 === 99) {
        // The next wave once this one is live and subscribed (at most 30 s), as a real audience arrives over minutes.
        for (let waited = 0; clients.some((c) => !c.ready()) && waited < 300; waited++) await sleep(100);
        progress(`${i + 1} clients created, ${clients.filter((c) => c.client.getState() === "live").length} live`);
      }
    }
    for (let waited = 0; clients.some((c) => !c.ready()) && waited < 120; waited++) await sleep(1000);
    sample(clients);
    progress(`${memory.at(-1)!.live} of ${connections} live; soaking for ${minutes} min`);

    let publishes = 0;
    let publishFailures = 0;
    let churned = 0;
    const scores = new Map<string, number>();
    const endAt = Date.now() + minutes * 60_000;
    let nextSample = Date.now() + 10_000;
    const inFlight = new Set<Promise<void>>();
    while (Date.now() < endAt) {
      const tickStart = Date.now();
      for (let p = 0; p < publishesPerSecond; p++) {
        const gameId = gameIds[Math.floor(Math.random() * games)]!;
        const home = (scores.get(gameId) ?? 0) + 1;
        scores.set(gameId, home);
        const request = fetch(`${cloud.endpoints.httpApiUrl}/games/${gameId}/score`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-operator-key": cloud.endpoints.operatorKey },
          body: JSON.stringify({ home, away: publishes % 7 }),
        })
          .then(async (response) => {
            await response.arrayBuffer();
            if (response.status === 200) publishes++;
            else {
              publishFailures++;
              countError(`publish:${response.status}`);
            }
          })
          .catch(() => {
            publishFailures++;
            countError("publish:network");
          })
          .finally(() => inFlight.delete(request));
        inFlight.add(request);
      }
      // Churn: close some sockets and bring them back a moment later (the client resubscribes and resyncs).
      for (let c = 0; c < churnPerSecond; c++) {
        const victim = clients[Math.floor(Math.random() * clients.length)]!;
        if (victim.client.getState() === "closed") continue;
        victim.client.close();
        churned++;
        setTimeout(() => victim.client.connect(), 200 + Math.random() * 2_000);
      }
      if (Date.now() >= nextSample) {
        sample(clients);
        const last = memory.at(-1)!;
        progress(
          `t=${last.atSeconds}s publishes=${publishes} failures=${publishFailures} churned=${churned} live=${last.live} rss=${last.rssMB}MB heap=${last.heapMB}MB dynamodb=${last.dynamodbMB}MB`,
        );
        nextSample += 10_000;
      }
      await sleep(Math.max(0, 1000 - (Date.now() - tickStart)));
    }
    await Promise.all(inFlight);
    progress("publishing stopped; waiting for the streams to drain and every client to converge");
    await sleep(3_000); // the last churned clients reconnect
    await cloud.drained(120_000);

    // The checker: every client's final state against the source table.
    const source = new Map<string, { seq: number; home: number; away: number } | undefined>();
    for (const id of gameIds) source.set(`game/${id}`, await sourceGame(cloud, id));
    const lost = () => {
      const misses: string[] = [];
      for (const watched of clients) {
        for (const topic of topicsOf.get(watched)!) {
          const truth = source.get(topic);
          if (!truth) continue; // never published
          const data = watched.data(topic) as { home?: number; away?: number } | undefined;
          if (watched.seq(topic) !== truth.seq || data?.home !== truth.home || data?.away !== truth.away) misses.push(topic);
        }
      }
      return misses;
    };
    let misses = lost();
    for (let waited = 0; misses.length > 0 && waited < 60; waited++) {
      await sleep(1000);
      misses = lost();
    }
    // Orphans: subscription items whose connection the gateway no longer has. A $disconnect runs
    // after its close, so the last churned connections get a few seconds to be cleaned.
    progress("counting orphaned subscriptions (subscription items whose connection is gone)");
    let audit = await auditSubscriptions(cloud);
    for (let waited = 0; audit.orphaned.length > 0 && waited < 30; waited++) {
      await sleep(1000);
      audit = await auditSubscriptions(cloud);
    }
    const duplicatesApplied = clients.reduce(
      (sum, c) => sum + [...c.applied.values()].reduce((s, seqs) => s + seqs.length - new Set(seqs).size, 0),
      0,
    );
    sample(clients);
    const report = {
      connections,
      minutes,
      games,
      publishesPerSecond,
      connectionsHeld: memory.at(-1)!.live,
      publishes,
      publishFailures,
      churn: churned,
      finalStatesChecked: clients.reduce((sum, c) => sum + topicsOf.get(c)!.filter((t) => source.get(t)).length, 0),
      lostFinalStates: misses.length,
      subscriptionItems: audit.subscriptions,
      orphanedSubscriptions: audit.orphaned.length,
      liveConnectionsInTables: audit.live.size,
      duplicatesApplied,
      staleDropped: clients.reduce((sum, c) => sum + c.stale, 0),
      deadLetters: cloud.deadLetters.records.length,
      errors,
      memory: { start: memory[0], end: memory.at(-1), samples: memory },
    };
    progress(
      `lost final states: ${report.lostFinalStates} of ${report.finalStatesChecked}; orphaned subscriptions: ${report.orphanedSubscriptions} of ${report.subscriptionItems}; publishes ${publishes} (${publishFailures} failed); churn ${churned}; dead letters ${report.deadLetters}`,
    );
    progress(
      `memory: rss ${report.memory.start?.rssMB} -> ${report.memory.end?.rssMB} MB, heap ${report.memory.start?.heapMB} -> ${report.memory.end?.heapMB} MB, DynamoDB Local ${report.memory.start?.dynamodbMB} -> ${report.memory.end?.dynamodbMB} MB`,
    );
    process.stdout.write(`${JSON.stringify({ ...report, memory: { start: report.memory.start, end: report.memory.end } }, null, 2)}\n`);
    if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
    process.exitCode = report.lostFinalStates === 0 && report.orphanedSubscriptions === 0 ? 0 : 1;
  } finally {
    for (const watched of clients) watched.client.close();
    await cloud.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

/**
 * The randomized churn test (issue 11, "no silent loss"), through the local
 * cloud with the real `@pushgate/client` over `ws`: clients hold and release
 * topics, drop their sockets, close and come back while publications flow,
 * and the faults land in the middle of it: the gateway restarted, DynamoDB
 * Local killed and restarted, routes whose answers are lost as integration
 * timeouts, a client that stops reading. After quiescence:
 * - every live client's store holds the final seq of every topic it holds;
 * - no subscription item exists without a live connection, and every live
 *   connection's items are exactly the topics its client holds;
 * - no connection holds more topics than the cap.
 *
 * Seeded and reproducible in its choices (`PUSHGATE_CHURN_SEED`; the seed is
 * printed), though not in its timing: the sockets and the cloud run on real time.
 * `PUSHGATE_CHURN_SECONDS` sets the churn's length (default 45 s); `PUSHGATE_CHURN_LOG=file`
 * keeps the handlers' and the local cloud's log lines there.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalCloud, type LocalCloud } from "@pushgate/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { captureOutput, until } from "./capture";
import { auditSubscriptions, realClient, sourceGame, type WatchedClient } from "./clients";

const SEED = Number(process.env.PUSHGATE_CHURN_SEED ?? 1111);
const CHURN_MS = Number(process.env.PUSHGATE_CHURN_SECONDS ?? 45) * 1000;
const CLIENTS = 12;
const GAMES = Array.from({ length: 8 }, (_, i) => `churn-${SEED}-g${i}`);
const TOPIC_CAP = 5;

/** mulberry32: the run's one source of choices, so a seed replays the same decisions. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One churning fan: its client, the topics it holds (with their releases) and its sockets. */
interface Churner {
  watched: WatchedClient;
  held: Map<string, () => void>;
  sockets: WebSocket[];
  /** Closed by `close()` (and not yet reconnected). */
  closed: boolean;
  fanId: string | undefined;
}

let cloud: LocalCloud;
let stateDir: string;
const churners: Churner[] = [];
const output = captureOutput({ quiet: true });

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "pushgate-churn-"));
  cloud = await startLocalCloud({
    persist: true,
    stateDir,
    log: (level, message) => output.add(`[local ${level}] ${message}`),
    environment: { POWERTOOLS_LOG_LEVEL: "WARN", PUSHGATE_MAX_TOPICS_PER_CONNECTION: String(TOPIC_CAP) },
  });
});

afterAll(async () => {
  for (const churner of churners) churner.watched.client.close();
  await cloud?.stop();
  rmSync(stateDir, { recursive: true, force: true });
  output.stop();
  if (process.env.PUSHGATE_CHURN_LOG) writeFileSync(process.env.PUSHGATE_CHURN_LOG, output.text());
});

function churner(): Churner {
  const sockets: WebSocket[] = [];
  // ws's WebSocket, remembered so the test can drop or stop reading the client's socket from underneath.
  class TrackedWebSocket extends WebSocket {
    constructor(url: string, protocols: string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  const watched = realClient(cloud, [], { WebSocket: TrackedWebSocket as unknown as typeof WebSocket });
  const fan: Churner = { watched, held: new Map(), sockets, closed: false, fanId: undefined };
  watched.client.on("token", ({ token }) => (fan.fanId = token.fanId));
  churners.push(fan);
  return fan;
}

const openSocket = (fan: Churner) => fan.sockets.findLast((socket) => socket.readyState === WebSocket.OPEN);

async function score(gameId: string, body: { home: number; away: number }): Promise<void> {
  // A producer retries a failed write (DynamoDB down): the source of truth is whatever was written.
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${cloud.endpoints.httpApiUrl}/games/${gameId}/score`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-operator-key": cloud.endpoints.operatorKey },
      body: JSON.stringify(body),
    }).catch(() => undefined);
    await response?.body?.cancel();
    if (response?.status === 200) return;
    if (attempt > 300) throw new Error(`POST score kept failing (${response?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("randomized churn with faults", () => {
  it(
    "every live client ends on every held topic's final seq; no orphaned subscription; no connection over the cap",
    async () => {
      const random = seeded(SEED);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const counts = {
        holds: 0,
        releases: 0,
        drops: 0,
        closes: 0,
        reopens: 0,
        publishes: 0,
        faults: [] as string[],
        stalls: 0,
      };
      console.info(`churn: seed ${SEED} (PUSHGATE_CHURN_SEED=${SEED} replays its choices), ${CHURN_MS / 1000} s`);

      // One client first, so the functions' cold starts are not paid twelve times at once on a busy machine.
      churner();
      await until(() => churners[0]!.watched.client.getState() === "live", "the first client live", 120_000);
      for (let i = 1; i < CLIENTS; i++) churner();
      await until(() => churners.every((fan) => fan.watched.client.getState() === "live"), "every client live", 120_000);

      const started = Date.now();
      let churning = true;
      const producer = (async () => {
        const scores = new Map<string, number>();
        while (churning) {
          const game = pick(GAMES);
          const home = (scores.get(game) ?? 0) + 1;
          scores.set(game, home);
          await score(game, { home, away: counts.publishes % 7 });
          counts.publishes++;
          await sleep(120);
        }
        // One last publication on every game, after the churn, so each has a final state to reach.
        for (const game of GAMES) await score(game, { home: (scores.get(game) ?? 0) + 100, away: 0 });
        counts.publishes += GAMES.length;
      })();

      const step = () => {
        const fan = pick(churners);
        const roll = random();
        if (fan.closed) {
          if (roll < 0.5) {
            fan.closed = false;
            fan.watched.client.connect();
            counts.reopens++;
          }
          return;
        }
        if (roll < 0.45) {
          const topic = `game/${pick(GAMES)}`;
          if (fan.held.has(topic)) return;
          fan.held.set(topic, fan.watched.client.subscribe(topic));
          counts.holds++;
        } else if (roll < 0.7) {
          const topics = [...fan.held.keys()];
          if (topics.length === 0) return;
          const topic = pick(topics);
          fan.held.get(topic)!();
          fan.held.delete(topic);
          counts.releases++;
        } else if (roll < 0.85) {
          // The network drops the socket (no close frame): the client reconnects, resubscribes and resyncs.
          openSocket(fan)?.terminate();
          counts.drops++;
        } else if (roll < 0.95) {
          fan.watched.client.close();
          fan.closed = true;
          counts.closes++;
        }
      };

      // The faults, each at a seeded moment in its own slice of the churn.
      const slice = CHURN_MS / 5;
      const at = (index: number) => slice * index + random() * slice * 0.5;
      const faults: { at: number; name: string; run: () => Promise<void> }[] = [
        {
          at: at(1),
          name: "gateway restarted",
          run: async () => {
            await cloud.stopGateway();
            await sleep(800);
            await cloud.startGateway();
          },
        },
        { at: at(2), name: "DynamoDB Local killed and restarted", run: () => cloud.restartDynamoDb({ readyTimeoutMs: 120_000 }) },
        {
          at: at(3),
          name: "subscribe and unsubscribe answers lost as integration timeouts",
          run: async () => {
            cloud.timeOutRoute("subscribe", 4);
            cloud.timeOutRoute("unsubscribe", 2);
          },
        },
        {
          at: at(4),
          name: "a client stops reading for 3 s",
          run: async () => {
            // On a busy machine every socket may be reconnecting at this instant: wait for one (bounded).
            const withOpenSocket = () => churners.find((candidate) => !candidate.closed && openSocket(candidate) !== undefined);
            await until(() => withOpenSocket() !== undefined, "a client with an open socket to stall", 30_000).catch(() => {});
            const fan = withOpenSocket();
            const socket = fan && openSocket(fan);
            if (!socket) return;
            socket.pause();
            counts.stalls++;
            await sleep(3_000);
            socket.resume();
          },
        },
      ];

      const faultRuns: Promise<void>[] = [];
      while (Date.now() - started < CHURN_MS) {
        const elapsed = Date.now() - started;
        while (faults.length > 0 && faults[0]!.at <= elapsed) {
          const fault = faults.shift()!;
          counts.faults.push(`${fault.name} at ${(elapsed / 1000).toFixed(1)} s`);
          faultRuns.push(fault.run());
        }
        step();
        await sleep(80 + random() * 80);
      }
      await Promise.all(faultRuns);
      cloud.timeOutRoute("subscribe", 0);
      cloud.timeOutRoute("unsubscribe", 0);
      // Quiescence: every client comes back, the producer's last publications land.
      for (const fan of churners) {
        if (fan.closed) {
          fan.closed = false;
          fan.watched.client.connect();
          counts.reopens++;
        }
      }
      churning = false;
      await producer;
      await cloud.drained(60_000);

      const finals = new Map<string, number>();
      for (const game of GAMES) finals.set(`game/${game}`, (await sourceGame(cloud, game))?.seq ?? 0);
      /** Held topics a client has not reached yet (a topic the cap refused is shown as refused, and is not expected). */
      const behind = () =>
        churners.flatMap((fan, index) =>
          [...fan.held.keys()]
            .filter((topic) => {
              const snapshot = fan.watched.client.topic(topic).getSnapshot();
              return snapshot.status !== "error" && snapshot.seq !== finals.get(topic);
            })
            .map((topic) => `client ${index} ${topic} at ${fan.watched.seq(topic)} of ${finals.get(topic)}`),
        );
      await until(() => churners.every((fan) => fan.watched.client.getState() === "live"), "every client live again", 60_000);
      await until(() => behind().length === 0, "every held topic on its final seq", 60_000).catch(() => {});
      expect(behind()).toEqual([]);

      const refusedForCap = churners.flatMap((fan) =>
        [...fan.held.keys()].filter((topic) => fan.watched.client.topic(topic).getSnapshot().error?.code === "BAD_REQUEST"),
      );

      // The tables against the clients. $disconnect of a dropped socket runs after the drop, so this is waited for too.
      const fanOf = new Map(churners.map((fan) => [fan.fanId, fan]));
      const mismatches = async () => {
        const audit = await auditSubscriptions(cloud);
        const wrong: string[] = audit.orphaned.map(({ connectionId, topic }) => `orphaned: ${topic} on gone connection ${connectionId}`);
        for (const [connectionId, { fanId, subscribed }] of audit.live) {
          const fan = fanOf.get(fanId);
          if (!fan) {
            wrong.push(`live connection ${connectionId} of no client (fan ${fanId})`);
            continue;
          }
          const expected = [...fan.held.keys()].filter((topic) => fan.watched.client.topic(topic).getSnapshot().status !== "error");
          for (const topic of expected) if (!subscribed.has(topic)) wrong.push(`missing: ${topic} held by fan ${fanId}, not stored`);
          for (const topic of subscribed) if (!fan.held.has(topic)) wrong.push(`extra: ${topic} stored for fan ${fanId}, not held`);
        }
        return { audit, wrong };
      };
      let last = await mismatches();
      await until(
        async () => {
          last = await mismatches();
          return last.wrong.length === 0;
        },
        "the tables to match the clients",
        30_000,
      ).catch(() => {});

      console.info(
        `churn: seed ${SEED}: ${counts.publishes} publications, ${counts.holds} holds, ${counts.releases} releases, ` +
          `${counts.drops} dropped sockets, ${counts.closes} closes, ${counts.reopens} reopens, ${counts.stalls} stalled reader; ` +
          `faults: ${counts.faults.join("; ")}. After quiescence: ${churners.length} clients live, ` +
          `${churners.reduce((n, fan) => n + fan.held.size, 0)} held topics on their final seq (${refusedForCap.length} refused by the cap of ${TOPIC_CAP}), ` +
          `${last.audit.subscriptions} subscription items, ${last.audit.orphaned.length} orphaned, ` +
          `${last.audit.live.size} live connections, at most ${last.audit.mostTopicsOnAConnection} topics on one`,
      );
      expect(last.wrong).toEqual([]);
      expect(last.audit.live.size).toBe(CLIENTS);
      expect(last.audit.mostTopicsOnAConnection).toBeLessThanOrEqual(TOPIC_CAP);
      expect(counts.faults).toHaveLength(4);
    },
    CHURN_MS + 240_000,
  );
});

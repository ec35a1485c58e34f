/**
 * A big game through the local cloud (issue 12): its audience takes longer
 * than one fan-out invocation may run, so the stream consumer splits it into
 * tasks on the SQS queue, each task stops before its timeout and re-enqueues
 * the rest with a cursor, and every fan gets the touchdown at least once and
 * at most twice. Another game's publication on the same stream is not held
 * behind it. Real `ws` clients; the slowness is the push budget
 * (PUSHGATE_FANOUT_RATE_PER_SECOND), as on AWS under the account quota.
 */
import { startLocalCloud, type LocalCloud } from "@pushgate/local";
import { topology, type TopologyShape } from "@pushgate/core/topology";
import type { SessionResponse } from "@pushgate/core/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callHttpApi } from "./clients";
import { connectFan, isMessage, type Fan } from "./fan";

const BIG = Number(process.env.BIG_GAME_FANS ?? 120);
const SMALL = 5;
/** Each task worker's share of the budget, times 8 (the queue's maxConcurrency): 20 posts/s. The local cloud runs every invocation in one sandbox, so they share it. */
const BUDGET = 20 * topology.queues.fanoutTasks.maxConcurrency;
const TIMEOUT_SECONDS = 20;

/**
 * Pushgate's topology with a 20-second task worker (and its queue's
 * visibility timeout, which must not be shorter) that keeps 18 s in reserve:
 * two seconds of pushing per invocation. The routes fans touch get 60 s: the
 * local invoker counts a cold start (7-8 s to import a handler on a machine
 * this loaded) in the timeout, which Lambda does not (its init phase has its own).
 */
function shortTaskTimeout(): TopologyShape {
  const shape = structuredClone(topology) as unknown as TopologyShape;
  const routes = [...Object.values(shape.websocket.routes), ...Object.values(shape.http.routes)];
  for (const route of routes) route.function.timeoutSeconds = 60;
  const tasks = shape.queues!.fanoutTasks!;
  tasks.function.timeoutSeconds = TIMEOUT_SECONDS;
  tasks.visibilityTimeoutSeconds = TIMEOUT_SECONDS;
  return shape;
}

let cloud: LocalCloud;
const fans: Fan[] = [];

beforeAll(async () => {
  cloud = await startLocalCloud({
    topology: shortTaskTimeout(),
    environment: {
      POWERTOOLS_LOG_LEVEL: process.env.BIG_GAME_LOG ? "INFO" : "SILENT",
      PUSHGATE_QUOTA_SESSIONS_PER_ADDRESS: "0",
      // Two shards of ~60 fans; the two tasks share 20 posts/s here, so each needs ~6 s of pushing.
      PUSHGATE_SUBSCRIPTION_SHARDS: "game=2",
      PUSHGATE_FANOUT_SPLIT_ABOVE: "50",
      PUSHGATE_FANOUT_RATE_PER_SECOND: String(BUDGET),
      // A cold start eats into the first invocation; a task with no time left goes back unchanged.
      PUSHGATE_FANOUT_RESERVE_MS: "18000",
    },
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(fans.map((fan) => fan.close()));
  await cloud?.stop();
});

/** As a real client does: a handshake refused by a timed-out `$connect` (a loaded machine) is tried again. */
async function persistently<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= 5) throw error;
    }
  }
}

async function fansOf(topic: string, count: number): Promise<Fan[]> {
  const { token } = (await persistently(() => callHttpApi(cloud, "POST", "/session", { body: {} }))).body as SessionResponse;
  const opened: Fan[] = [];
  // A few at a time: each connect and subscribe is a function invocation.
  for (let start = 0; start < count; start += 4) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(4, count - start) }, async (_, i) => {
        const fan = await persistently(() => connectFan(cloud.endpoints.websocketUrl, token));
        fans.push(fan);
        const ack = await fan.request({ action: "subscribe", id: `s${start + i}`, topics: [topic] });
        expect(ack.type).toBe("subscribed");
        return fan;
      }),
    );
    opened.push(...batch);
  }
  return opened;
}

const score = (gameId: string, home: number) =>
  callHttpApi(cloud, "POST", `/games/${gameId}/score`, { body: { home, away: 0 }, operator: true });

describe("a big game", () => {
  it("warms the functions a fan touches (their cold start on a loaded machine can pass a timeout)", async () => {
    const [fan] = await fansOf("game/warm-up", 1);
    expect(fan).toBeDefined();
  }, 600_000);

  it("reaches every fan across invocations (each at most twice), and another game is not held behind it", async () => {
    const big = await fansOf("game/final", BIG);
    const small = await fansOf("game/other", SMALL);

    expect((await score("final", 7)).status).toBe(200);
    expect((await score("other", 3)).status).toBe(200);

    // The other game, on the same stream, arrives while the big one is still being pushed.
    await Promise.all(small.map((fan) => fan.next(isMessage("game/other", 1))));
    const bigReachedWhenOtherArrived = big.filter((fan) => fan.frames.some(isMessage("game/final", 1))).length;
    expect(bigReachedWhenOtherArrived).toBeLessThan(BIG);

    await Promise.all(big.map((fan) => fan.next(isMessage("game/final", 1))));
    await cloud.drained(60_000);
    const pushes = big.map((fan) => fan.frames.filter(isMessage("game/final", 1)).length);
    expect(Math.min(...pushes)).toBe(1);
    expect(Math.max(...pushes)).toBeLessThanOrEqual(2);
    // More invocations than the two tasks: they ran out of time and continued from their cursors.
    expect(cloud.counters().queueInvocations).toBeGreaterThan(2);
  }, 600_000);
});

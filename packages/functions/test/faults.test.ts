/**
 * Faults through the local cloud, with real `ws` clients and
 * the real `@pushgate/client`: a throttling Management API (retries, circuit
 * breaker, batch failures delivered later), the gateway restarted with clients
 * connected, DynamoDB Local killed and restarted mid-stream, and duplicate
 * delivery. Every wait ends on a state, never on a timer a test asserts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { DynamoSubscriptionStore } from "@pushgate/core/adapters/dynamo-subscriptions";
import { listedShards } from "@pushgate/core/shards";
import { subscriptionShards } from "@pushgate/core/topology";
import { startLocalCloud, type LocalCloud } from "@pushgate/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureOutput, until } from "./capture";
import { adminDocumentClient, adminManagementClient, realClient, sourceGame, type WatchedClient } from "./clients";
import { connectFan, isMessage, type Fan } from "./fan";

let cloud: LocalCloud;
let stateDir: string;
const fans: Fan[] = [];
const clients: WatchedClient[] = [];
// The handlers' JSON logs and the local cloud's own, kept for assertions (and off the terminal: the faults are loud).
const output = captureOutput({ quiet: true });

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "pushgate-faults-"));
  cloud = await startLocalCloud({
    persist: true,
    stateDir,
    log: (level, message) => output.add(`[local ${level}] ${message}`),
    environment: {
      POWERTOOLS_LOG_LEVEL: "WARN",
      // Small numbers so a throttle of a few pushes per second trips everything within a test.
      PUSHGATE_PUSH_MAX_ATTEMPTS: "2",
      PUSHGATE_PUSH_RETRY_BASE_MS: "20",
      PUSHGATE_BREAKER_MINIMUM_VOLUME: "4",
      PUSHGATE_BREAKER_SLEEP_MS: "300",
      PUSHGATE_BREAKER_MAX_WAIT_MS: "1000",
    },
  });
});

afterAll(async () => {
  for (const watched of clients) watched.client.close();
  await Promise.all(fans.map((fan) => fan.close().catch(() => {})));
  await cloud?.stop();
  rmSync(stateDir, { recursive: true, force: true });
  output.stop();
});

async function score(gameId: string, body: { home: number; away: number }): Promise<number> {
  // A producer retries a failed write (DynamoDB down): the source of truth is whatever was written.
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${cloud.endpoints.httpApiUrl}/games/${gameId}/score`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-operator-key": cloud.endpoints.operatorKey },
      body: JSON.stringify(body),
    }).catch(() => undefined);
    if (response?.status === 200) return ((await response.json()) as { seq: number }).seq;
    if (attempt > 200) throw new Error(`POST score kept failing (${response?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function fan(): Promise<Fan> {
  const response = await fetch(`${cloud.endpoints.httpApiUrl}/session`, {
    method: "POST",
    body: "{}",
    headers: { "content-type": "application/json" },
  });
  const { token } = (await response.json()) as { token: string };
  const connected = await connectFan(cloud.endpoints.websocketUrl, token);
  fans.push(connected);
  return connected;
}

const watch = (topics: string[]) => {
  const watched = realClient(cloud, topics);
  clients.push(watched);
  return watched;
};

/** Every client ends on the source table's final state for the game, and applied each seq at most once. */
async function expectConverged(watched: WatchedClient[], gameId: string) {
  const topic = `game/${gameId}`;
  const source = await sourceGame(cloud, gameId);
  expect(source).toBeDefined();
  await until(() => watched.every((w) => w.seq(topic) === source!.seq), `every client on ${topic} seq ${source!.seq}`, 30_000);
  for (const w of watched) {
    expect(w.data(topic)).toMatchObject({ home: source!.home, away: source!.away });
    const applied = w.applied.get(topic) ?? [];
    expect(new Set(applied).size).toBe(applied.length);
    expect([...applied].sort((a, b) => a - b)).toEqual(applied);
  }
}

describe("the Management API throttling (429)", () => {
  it("retries, trips the breaker, reports the record as failed and delivers it later to everyone, once each", async () => {
    await cloud.stopGateway();
    await cloud.startGateway({ managementRatePerSecond: 4 });
    const audience = await Promise.all(Array.from({ length: 12 }, () => fan()));
    for (const [i, f] of audience.entries()) await f.request({ action: "subscribe", id: `t${i}`, topics: ["game/throttled"] });

    const logStart = output.text().length;
    expect(await score("throttled", { home: 1, away: 0 })).toBe(1);
    await Promise.all(audience.map((f) => f.next(isMessage("game/throttled", 1))));
    await cloud.drained(30_000);
    const logs = output.text().slice(logStart);
    // The fault happened and was handled the chosen way: the breaker opened, the record was reported and retried.
    expect(logs).toMatch(/circuit breaker around the Management API is now open/);
    expect(logs).toMatch(/publication incomplete/);
    expect(logs).toMatch(/publication failed; its records are reported for retry/);
    // Each fan got the publication exactly once: a retry pushed only to those not reached yet.
    for (const f of audience) expect(f.frames.filter(isMessage("game/throttled", 1))).toHaveLength(1);
    expect(cloud.deadLetters.records.filter((letter) => JSON.stringify(letter).includes("throttled"))).toEqual([]);

    await cloud.stopGateway();
    await cloud.startGateway();
  });
});

describe("recovery: every client ends on the source of truth", () => {
  it("the gateway restarted with clients connected", async () => {
    const watched = Array.from({ length: 5 }, () => watch(["game/restart-g"]));
    await until(() => watched.every((w) => w.ready()), "clients live and subscribed");
    for (let i = 1; i <= 3; i++) await score("restart-g", { home: i, away: 0 });
    await expectConverged(watched, "restart-g");

    await cloud.stopGateway();
    // Updates while the gateway is down: pushes find no connection (410) and are dropped, the snapshot is written.
    for (let i = 4; i <= 6; i++) await score("restart-g", { home: i, away: 1 });
    await cloud.drained();
    await cloud.startGateway();
    await score("restart-g", { home: 7, away: 1 });
    await expectConverged(watched, "restart-g");
  });

  it("DynamoDB Local killed and restarted mid-stream", async () => {
    const watched = Array.from({ length: 5 }, () => watch(["game/crash-g"]));
    await until(() => watched.every((w) => w.ready()), "clients live and subscribed");
    for (let i = 1; i <= 3; i++) await score("crash-g", { home: i, away: 0 });
    // Kill while the consumer is still reading those records; publish through and after the outage.
    const restarted = cloud.restartDynamoDb();
    const during = (async () => {
      for (let i = 4; i <= 6; i++) await score("crash-g", { home: i, away: 2 });
    })();
    await restarted;
    await during;
    await score("crash-g", { home: 9, away: 9 });
    await expectConverged(watched, "crash-g");
    const final = await sourceGame(cloud, "crash-g");
    expect(final).toMatchObject({ seq: 7, home: 9, away: 9 });
  });
});

describe("duplicate delivery", () => {
  it("each client applies each seq once: a re-delivered or older publication is dropped", async () => {
    const watched = [watch(["game/dup-g"]), watch(["game/dup-g"])];
    await until(() => watched.every((w) => w.ready()), "clients live and subscribed");
    await score("dup-g", { home: 1, away: 0 });
    await score("dup-g", { home: 2, away: 0 });
    await expectConverged(watched, "dup-g");

    // Within one stream batch only the newest seq of a topic is pushed, so a client may have applied [2] or [1, 2].
    const appliedBefore = watched.map((w) => [...(w.applied.get("game/dup-g") ?? [])]);
    // Re-deliver both publications to every subscriber, as a retried stream batch would.
    const db = adminDocumentClient(cloud);
    const subscriptions = new DynamoSubscriptionStore(db, () => cloud.endpoints.tables.subscriptions!, subscriptionShards);
    const management = adminManagementClient(cloud);
    const frames = [1, 2].map((seq) => ({
      type: "message",
      topic: "game/dup-g",
      seq,
      kind: "score-update",
      data: { home: seq, away: 0 },
      ts: new Date().toISOString(),
    }));
    const ids: string[] = [];
    for (let shard = 0; shard < listedShards("game/dup-g", subscriptionShards); shard++)
      for await (const page of subscriptions.listShard("game/dup-g", shard)) ids.push(...page.map((s) => s.connectionId));
    expect(ids).toHaveLength(2);
    for (const id of ids)
      for (const frame of [...frames, frames[1]!])
        await management.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from(JSON.stringify(frame)) }));
    await until(() => watched.every((w) => w.stale >= 3), "the duplicates seen and dropped");
    for (const [i, w] of watched.entries()) {
      expect(w.applied.get("game/dup-g")).toEqual(appliedBefore[i]);
      expect(w.seq("game/dup-g")).toBe(2);
    }
  });
});

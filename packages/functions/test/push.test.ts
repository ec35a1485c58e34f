/**
 * The handlers end to end through the local cloud: real
 * `ws` clients on the local API Gateway, the HTTP API, DynamoDB Local with its
 * streams driving the consumers, and the S3 emulator behind presigned URLs.
 */
import { DynamoConnectionStore } from "@pushgate/core/adapters/dynamo-connections";
import { DynamoSubscriptionStore } from "@pushgate/core/adapters/dynamo-subscriptions";
import { adminDocumentClient, callHttpApi, type HttpCallOptions } from "./clients";
import type { ServerFrame, SessionResponse } from "@pushgate/core/protocol";
import { ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { listedShards, shardForTopic } from "@pushgate/core/shards";
import { subscriptionShards } from "@pushgate/core/topology";
import { startLocalCloud, type LocalCloud } from "@pushgate/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectFan, isMessage, refusedStatus, type Fan } from "./fan";

let cloud: LocalCloud;
const fans: Fan[] = [];

beforeAll(async () => {
  cloud = await startLocalCloud({ environment: { POWERTOOLS_LOG_LEVEL: "SILENT" } });
});

afterAll(async () => {
  await Promise.all(fans.map((fan) => fan.close()));
  await cloud?.stop();
});

const http = (method: string, path: string, options?: HttpCallOptions) => callHttpApi(cloud, method, path, options);

const session = async () => (await http("POST", "/session", { body: {} })).body as SessionResponse;

async function fan(): Promise<Fan & SessionResponse> {
  const { token, fanId, expiresAt, sessionEndsAt } = await session();
  const connected = await connectFan(cloud.endpoints.websocketUrl, token);
  fans.push(connected);
  return Object.assign(connected, { token, fanId, expiresAt, sessionEndsAt });
}

/** The snapshot once it holds `seq`: it can lag an ack by a moment, so a client retries (protocol.md). */
async function snapshotAt(url: string, seq: number): Promise<Record<string, any>> {
  for (;;) {
    const response = await fetch(url);
    if (response.status === 200) {
      const body = (await response.json()) as Record<string, any>;
      if (body.seq >= seq) return body;
    } else await response.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let ids = 0;
const nextId = () => `r${++ids}`;
const subscribe = (who: Fan, ...topics: string[]) => who.request({ action: "subscribe", id: nextId(), topics });

describe("connecting", () => {
  it("a fan token offered as subprotocol connects; the server answers pushgate.v1", async () => {
    const alice = await fan();
    expect(alice.socket.protocol).toBe("pushgate.v1");
    expect(await alice.request({ action: "ping", id: "p1" })).toEqual({ type: "pong", id: "p1" });
  });

  it("no token, or a bad one, is refused with 401", async () => {
    expect(await refusedStatus(cloud.endpoints.websocketUrl, ["pushgate.v1"])).toBe(401);
    expect(await refusedStatus(cloud.endpoints.websocketUrl, ["pushgate.v1", "token.not-a-jwt"])).toBe(401);
  });
});

describe("pushes", () => {
  it("POST /games/{id}/score reaches a subscriber as score-update with the next seq; the snapshot matches", async () => {
    const alice = await fan();
    const ack = await subscribe(alice, "game/push-g1");
    expect(ack).toMatchObject({
      type: "subscribed",
      topics: [{ topic: "game/push-g1", seq: 0, snapshotUrl: expect.stringMatching(/^http/) }],
    });

    const score = { home: 7, away: 3, period: "Q2", clock: "08:41", lastPlay: "Touchdown" };
    expect(await http("POST", "/games/push-g1/score", { body: score, operator: true })).toEqual({
      status: 200,
      body: { topic: "game/push-g1", seq: 1 },
    });
    const pushed = await alice.next(isMessage("game/push-g1", 1));
    expect(pushed).toEqual({ type: "message", topic: "game/push-g1", seq: 1, kind: "score-update", data: score, ts: expect.any(String) });

    await http("POST", "/games/push-g1/score", { body: { home: 10, away: 3 }, operator: true });
    expect((await alice.next(isMessage("game/push-g1", 2))).data).toEqual({ home: 10, away: 3 });

    // The snapshot is the exact envelope of the last push: the polling fallback and the resync point.
    const { body } = await http("GET", "/snapshots?topics=game/push-g1", { token: alice.token });
    const snapshot = await (await fetch(body.snapshots[0].url)).json();
    expect(snapshot).toEqual(alice.frames.find(isMessage("game/push-g1", 2)));
  });

  it("a late subscriber's ack carries the current seq", async () => {
    await http("POST", "/games/push-g2/score", { body: { home: 1, away: 0 }, operator: true });
    const bob = await fan();
    expect(((await subscribe(bob, "game/push-g2")) as any).topics[0].seq).toBe(1);
  });

  it("joining a queue is not pushed; advancing it reaches subscribers as queue-position", async () => {
    const opened = await http("PUT", "/queues/push-e1", {
      body: { name: "Push test", opensAt: new Date(Date.now() - 1000).toISOString() },
      operator: true,
    });
    expect(opened.status).toBe(200);
    await cloud.runSchedule("queueTick");
    await cloud.drained();
    const alice = await fan();
    const joined = await http("POST", "/queues/push-e1/join", { token: alice.token });
    expect(joined).toMatchObject({
      status: 200,
      body: { ticket: 1, servingNumber: 0, eventId: "push-e1", topic: "queue/push-e1", status: "waiting" },
    });
    const seq = ((await subscribe(alice, "queue/push-e1")) as any).topics[0].seq;
    const bob = await fan();
    expect((await http("POST", "/queues/push-e1/join", { token: bob.token })).body.ticket).toBe(2);

    const advanced = await http("POST", "/queues/push-e1/advance", { body: { by: 1 }, operator: true });
    expect(advanced).toMatchObject({ status: 200, body: { topic: "queue/push-e1", seq: seq + 1, servingNumber: 1 } });
    expect(await alice.next(isMessage("queue/push-e1"))).toMatchObject({
      seq: seq + 1,
      kind: "queue-position",
      data: { servingNumber: 1, ticketsIssued: 2 },
    });
    await cloud.drained();
    // Bob's join was a write, not news: only the advance was pushed.
    expect(alice.frames.filter(isMessage("queue/push-e1"))).toHaveLength(1);
  });

  it("POST /jobs ends in result-ready whose URL downloads the report; the URL it answered works too", async () => {
    await http("POST", "/games/report-g/score", { body: { home: 21, away: 14 }, operator: true });
    const alice = await fan();
    const created = await http("POST", "/jobs", { body: { kind: "contest-report" }, token: alice.token });
    expect(created.status).toBe(202);
    const { jobId, resultUrl, topic } = created.body;
    expect(topic).toBe(`job/${jobId}`);

    const ack = (await subscribe(alice, topic)) as Extract<ServerFrame, { type: "subscribed" }>;
    expect(ack.type).toBe("subscribed");
    // What the protocol promises, and no more: the subscription is stored before the seq is read, so an
    // ack at seq 0 means the publication is pushed; an ack at seq 1 means it was published already and the
    // snapshot holds it, or will in a moment (it is written alongside the fan-out, not before it).
    const acked = ack.topics[0]!;
    const ready = acked.seq === 0 ? await alice.next(isMessage(topic, 1)) : await snapshotAt(acked.snapshotUrl, 1);
    expect(ready).toMatchObject({
      type: "message",
      topic,
      seq: 1,
      kind: "result-ready",
      data: { jobId, url: expect.any(String), expiresAt: expect.any(String) },
    });

    const report = await (await fetch(ready.data.url)).json();
    expect(report).toMatchObject({ kind: "contest-report", generatedAt: expect.any(String) });
    // What a fan reads: no internal ids but the game's (the fan's own id is not in it).
    expect(JSON.stringify(report)).not.toContain(alice.fanId);
    expect(report.games).toContainEqual(
      expect.objectContaining({ gameId: "report-g", score: { home: 21, away: 14 }, leader: "home", scoring: expect.any(Array) }),
    );
    expect(await (await fetch(resultUrl)).json()).toEqual(report);
  });
});

describe("refusals keep the connection", () => {
  it("another fan's job is refused alone: the other topics of the frame are subscribed, in one answer", async () => {
    const [alice, mallory] = [await fan(), await fan()];
    const { jobId } = (await http("POST", "/jobs", { body: { kind: "contest-report" }, token: alice.token })).body;
    const answer = await mallory.request({ action: "subscribe", id: "steal", topics: ["game/mixed-g", `job/${jobId}`, "game/has space"] });
    expect(answer).toEqual({
      type: "subscribed",
      id: "steal",
      topics: [{ topic: "game/mixed-g", seq: 0, snapshotUrl: expect.any(String) }],
      refused: [
        { topic: `job/${jobId}`, code: "FORBIDDEN", message: expect.stringMatching(/not your job/) },
        { topic: "game/has space", code: "INVALID_TOPIC", message: expect.stringMatching(/is not a topic/) },
      ],
    });
    expect(mallory.frames.filter((frame) => frame.type === "subscribed" || frame.type === "error")).toHaveLength(1);
    expect(await mallory.request({ action: "ping", id: "still-there" })).toEqual({ type: "pong", id: "still-there" });
  });

  it("GET /snapshots answers per topic: one forbidden topic does not block the others", async () => {
    const [alice, mallory] = [await fan(), await fan()];
    const { jobId } = (await http("POST", "/jobs", { body: { kind: "contest-report" }, token: alice.token })).body;
    const { status, body } = await http("GET", `/snapshots?topics=game/snap-g,job/${jobId}`, { token: mallory.token });
    expect(status).toBe(200);
    expect(body).toEqual({
      snapshots: [{ topic: "game/snap-g", url: expect.stringMatching(/^http/) }],
      refused: [{ topic: `job/${jobId}`, code: "FORBIDDEN", message: expect.any(String) }],
    });
  });

  it("the per-connection topic cap holds under ten concurrent subscribe frames; topics past it are refused by name", async () => {
    const alice = await fan();
    const frames = Array.from({ length: 10 }, (_, f) => ({
      action: "subscribe",
      id: `cap-${f}`,
      topics: Array.from({ length: 10 }, (_, i) => `game/cap-${f}-${i}`),
    }));
    const answers = (await Promise.all(frames.map((frame) => alice.request(frame)))) as Extract<ServerFrame, { type: "subscribed" }>[];
    const subscribed = answers.flatMap((answer) => answer.topics.map((topic) => topic.topic));
    const refused = answers.flatMap((answer) => answer.refused ?? []);
    expect(subscribed).toHaveLength(50);
    expect(refused).toHaveLength(50);
    expect(new Set(refused.map((entry) => entry.code))).toEqual(new Set(["BAD_REQUEST"]));
    const { Items } = await adminDocumentClient(cloud).send(
      new ScanCommand({
        TableName: cloud.endpoints.tables.connections!,
        FilterExpression: "fanId = :fan",
        ExpressionAttributeValues: { ":fan": alice.fanId },
      }),
    );
    expect(Items).toHaveLength(1);
    expect([...(Items![0]!.topics as Set<string>)].sort()).toEqual([...subscribed].sort());
  });

  it("a malformed frame, an unknown action, an invalid topic and an oversized frame each get their error frame", async () => {
    const alice = await fan();
    const errorWith = (code: string) => alice.next((frame) => frame.type === "error" && frame.code === code);

    alice.socket.send("this is not json");
    expect(await errorWith("BAD_REQUEST")).toMatchObject({ message: expect.stringMatching(/not JSON/) });

    expect(await alice.request({ action: "dance", id: "u1" })).toMatchObject({ type: "error", id: "u1", code: "UNKNOWN_ACTION" });
    expect(await alice.request({ action: "subscribe", id: "t1", topics: ["game/has space"] })).toMatchObject({
      type: "subscribed",
      id: "t1",
      topics: [],
      refused: [{ topic: "game/has space", code: "INVALID_TOPIC" }],
    });
    expect(await alice.request({ action: "subscribe", id: "b1" })).toMatchObject({ type: "error", id: "b1", code: "BAD_REQUEST" });

    // Over 32 KB as one message, in fragments each under API Gateway's per-frame limit (a bigger frame is closed with 1009).
    const big = JSON.stringify({ action: "ping", id: "big", pad: "x".repeat(40 * 1024) });
    alice.socket.send(big.slice(0, 20_000), { fin: false });
    alice.socket.send(big.slice(20_000), { fin: true });
    expect(await errorWith("TOO_LARGE")).toMatchObject({ type: "error", code: "TOO_LARGE" });

    expect(await alice.request({ action: "ping", id: "after" })).toEqual({ type: "pong", id: "after" });
  });

  it("HTTP: bad input is a 4xx that says what was wrong", async () => {
    const { token } = await session();
    expect(await http("POST", "/games/g1/score", { body: { home: 1, away: 1 } })).toMatchObject({
      status: 401,
      body: { error: { code: "UNAUTHORIZED" } },
    });
    expect((await http("POST", "/games/g1/score", { body: "{oops", operator: true })).body.error).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/not JSON/),
    });
    expect((await http("POST", "/games/g1/score", { body: { home: "7", away: 1 }, operator: true })).body.error.message).toMatch(/^home: /);
    expect((await http("POST", "/queues/e1/join")).status).toBe(401);
    expect((await http("POST", "/jobs", { body: { kind: "other" }, token })).status).toBe(400);
    expect((await http("GET", "/snapshots?topics=nope", { token })).body.refused).toEqual([
      { topic: "nope", code: "INVALID_TOPIC", message: expect.any(String) },
    ]);
    expect((await http("GET", "/snapshots?topics=", { token })).body.error.code).toBe("BAD_REQUEST");
  });

  it("POST /session renews for the same fan when sent the previous token", async () => {
    const first = await session();
    const renewed = await http("POST", "/session", { body: {}, token: first.token });
    expect(renewed.body.fanId).toBe(first.fanId);
    expect((await http("POST", "/session", { body: {}, token: "forged" })).status).toBe(401);
  });
});

describe("failures are contained", () => {
  it("a client that vanished without $disconnect is removed on the next fan-out", async () => {
    const db = adminDocumentClient(cloud);
    const connections = new DynamoConnectionStore(db, () => cloud.endpoints.tables.connections!);
    const subscriptions = new DynamoSubscriptionStore(db, () => cloud.endpoints.tables.subscriptions!, subscriptionShards);
    const ghost = "R2hvc3RDb25uZWN0aW9uPQ=";
    await connections.put({
      connectionId: ghost,
      fanId: "ghost-fan",
      topics: ["game/ghost-g"],
      connectedAt: new Date().toISOString(),
      expiresAt: 1_900_000_000,
    });
    const shard = shardForTopic({ connectionId: ghost }, "game/ghost-g", subscriptionShards);
    await subscriptions.putAll([{ topic: "game/ghost-g", connectionId: ghost, fanId: "ghost-fan", expiresAt: 1_900_000_000, shard }]);

    const alice = await fan();
    await subscribe(alice, "game/ghost-g");
    await http("POST", "/games/ghost-g/score", { body: { home: 3, away: 0 }, operator: true });
    await alice.next(isMessage("game/ghost-g", 1));
    await cloud.drained();

    expect(await connections.get(ghost)).toBeUndefined();
    const left: string[] = [];
    for (let shard = 0; shard < listedShards("game/ghost-g", subscriptionShards); shard++)
      for await (const page of subscriptions.listShard("game/ghost-g", shard)) left.push(...page.map((s) => s.connectionId));
    expect(left).not.toContain(ghost);
    expect(left).toHaveLength(1);
  });

  it("a poison record does not block the updates behind it and ends in the on-failure destination", async () => {
    const alice = await fan();
    await subscribe(alice, "game/after-poison");
    const db = adminDocumentClient(cloud);
    // A producer that bypassed the HTTP API and wrote a score that is not a number.
    await db.send(
      new UpdateCommand({
        TableName: cloud.endpoints.tables.games!,
        Key: { gameId: "poison-g" },
        UpdateExpression: "SET home = :bad, away = :zero, updatedAt = :at ADD seq :one",
        ExpressionAttributeValues: { ":bad": "seven", ":zero": 0, ":at": new Date().toISOString(), ":one": 1 },
      }),
    );
    await http("POST", "/games/after-poison/score", { body: { home: 1, away: 0 }, operator: true });

    expect(await alice.next(isMessage("game/after-poison", 1))).toMatchObject({ data: { home: 1, away: 0 } });
    await cloud.drained();
    const discarded = cloud.deadLetters.records.filter((letter) => letter.consumer === "gamesFanout").flatMap((letter) => letter.records);
    // Records after it in the same batch may be discarded with it (as on AWS); they were published already.
    expect(discarded.map((record) => record.dynamodb?.NewImage?.gameId?.S)).toContain("poison-g");
  });
});

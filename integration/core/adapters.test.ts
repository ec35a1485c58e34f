/**
 * The adapters against the real things: DynamoDB Local, the S3 emulator (which
 * checks presigned signatures) and the local API Gateway's Management API,
 * through the same clients the functions use; the Gateway contract runs
 * against both Management API clients.
 */
import { startDynamoDbLocal, createTables, type DynamoDbLocal } from "@pushgate/local/dynamodb";
import { startWebSocketGateway, type GatewayLimits, type WebSocketGateway } from "@pushgate/local/gateway";
import { startS3, type LocalS3 } from "@pushgate/local/s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { dynamoDocumentClient, s3Client } from "@pushgate/core/adapters/aws-clients";
import { DynamoConnectionStore } from "@pushgate/core/adapters/dynamo-connections";
import { DynamoGameStore } from "@pushgate/core/adapters/dynamo-games";
import { DynamoJobStore } from "@pushgate/core/adapters/dynamo-jobs";
import { DynamoSubscriptionStore } from "@pushgate/core/adapters/dynamo-subscriptions";
import { S3SnapshotStore } from "@pushgate/core/adapters/s3-snapshots";
import { GatewayUnavailableError } from "@pushgate/core/errors";
import type { Subscription } from "@pushgate/core/ports";
import type { MessageFrame } from "@pushgate/core/protocol";
import { listedShards, shardOf, uniformShardCounts } from "@pushgate/core/shards";
import { topology } from "@pushgate/core/topology";
import { managementGateways } from "../../packages/core/test/management-gateways";

const region = "us-east-1";
let dynamo: DynamoDbLocal;
let s3: LocalS3;
let tables: Record<string, string>;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  // The SDK's default credential chain, as in a function; s3rver only accepts this pair, DynamoDB Local any.
  process.env.AWS_ACCESS_KEY_ID = "S3RVER";
  process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
  [dynamo, s3] = await Promise.all([startDynamoDbLocal({}), startS3({ buckets: [{ name: "adapter-test-data" }] })]);
  tables = (await createTables({ endpoint: dynamo.endpoint, topology, stage: "adapters" })).tableNames;
});

afterAll(async () => {
  await Promise.all([dynamo?.stop(), s3?.stop()]);
  process.env.AWS_ACCESS_KEY_ID = saved.id;
  process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
});

const db = () => dynamoDocumentClient({ region, dynamodbEndpoint: dynamo.endpoint });

describe("DynamoConnectionStore", () => {
  it("stores a connection, adds and removes topics, and deletes it answering what it was", async () => {
    const store = new DynamoConnectionStore(db(), () => tables.connections!);
    await store.put({ connectionId: "c1", fanId: "fan-a", topics: [], connectedAt: "2026-11-22T12:00:00.000Z", expiresAt: 1_900_000_000 });
    expect(await store.addTopicsWithin("c1", ["game/g1", "queue/e1"], 50)).toEqual(["game/g1", "queue/e1"]);
    await store.removeTopics("c1", ["queue/e1"]);
    expect(await store.get("c1")).toEqual({
      connectionId: "c1",
      fanId: "fan-a",
      topics: ["game/g1"],
      connectedAt: "2026-11-22T12:00:00.000Z",
      expiresAt: 1_900_000_000,
    });
    expect((await store.delete("c1"))?.topics).toEqual(["game/g1"]);
    expect(await store.get("c1")).toBeUndefined();
    expect(await store.delete("c1")).toBeUndefined();
  });

  it("never brings a gone connection back by adding or removing topics", async () => {
    const store = new DynamoConnectionStore(db(), () => tables.connections!);
    expect(await store.addTopicsWithin("gone-1", ["game/g1"], 50)).toBeUndefined();
    await store.removeTopics("gone-1", ["game/g1"]);
    expect(await store.get("gone-1")).toBeUndefined();
  });

  it("holds the topic cap under concurrent adds (a conditional write, not a read-check-write)", async () => {
    const store = new DynamoConnectionStore(db(), () => tables.connections!);
    await store.put({
      connectionId: "cap-1",
      fanId: "fan-a",
      topics: ["game/held"],
      connectedAt: "2026-11-22T12:00:00.000Z",
      expiresAt: 1_900_000_000,
    });
    // Ten frames of five new topics each, at once, against a cap of 12: one topic is held already.
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, frame) =>
        store.addTopicsWithin("cap-1", ["game/held", ...Array.from({ length: 5 }, (_, i) => `game/f${frame}-${i}`)], 12),
      ),
    );
    const held = (await store.get("cap-1"))!.topics;
    expect(held).toHaveLength(12);
    // What each call answered is exactly what the connection holds, and every call keeps the topic held before.
    expect(new Set(answers.flatMap((topics) => topics ?? []))).toEqual(new Set(held));
    for (const topics of answers) expect(topics).toContain("game/held");
  });
});

describe("DynamoSubscriptionStore", () => {
  const subscription = (topic: string, connectionId: string, shardCount: number): Subscription => ({
    topic,
    connectionId,
    fanId: "fan",
    expiresAt: 1_900_000_000,
    shard: shardOf(connectionId, shardCount),
  });

  it("spreads a topic over its shards; the shards' pages together are exactly its subscribers", async () => {
    const store = new DynamoSubscriptionStore(db(), () => tables.subscriptions!, uniformShardCounts(4), 5);
    const audience = Array.from({ length: 60 }, (_, i) => `conn-${i}`);
    await store.putAll([...audience.map((id) => subscription("game/big", id, 4)), subscription("game/other", "conn-x", 4)]);

    const seen: string[] = [];
    const pageSizes: number[] = [];
    for (let shard = 0; shard < listedShards("game/big", store.shardCounts); shard++) {
      for await (const page of store.listShard("game/big", shard)) {
        pageSizes.push(page.length);
        seen.push(...page.map((item) => item.connectionId));
      }
    }
    expect(seen.sort()).toEqual([...audience].sort());
    expect(Math.max(...pageSizes)).toBeLessThanOrEqual(5);
    expect(pageSizes.filter((size) => size > 0).length).toBeGreaterThan(4);

    await store.deleteAll(audience.slice(0, 59).map((connectionId) => subscription("game/big", connectionId, 4)));
    const left: string[] = [];
    for (let shard = 0; shard < 4; shard++)
      for await (const page of store.listShard("game/big", shard)) left.push(...page.map((item) => item.connectionId));
    expect(left).toEqual(["conn-59"]);
  });

  it("the fan-out's subscriber Query is strongly consistent (DynamoDB Local always is: the request is what AWS sees)", async () => {
    const client = db();
    const queries: Record<string, unknown>[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        if ((args.input as { KeyConditionExpression?: string }).KeyConditionExpression) queries.push(args.input as Record<string, unknown>);
        return next(args);
      },
      { step: "initialize" },
    );
    const store = new DynamoSubscriptionStore(client, () => tables.subscriptions!, uniformShardCounts(2));
    for await (const page of store.listShard("game/consistent", 0)) void page;
    expect(queries).toEqual([expect.objectContaining({ ConsistentRead: true })]);
  });
});

describe("source tables", () => {
  it("games: each score bumps seq; the item is the score as last sent, with a timeline of the score changes", async () => {
    const games = new DynamoGameStore(db(), () => tables.games!);
    expect(await games.currentSeq("g-a")).toBe(0);
    expect(await games.recordScore("g-a", { home: 7, away: 3, period: "Q2", lastPlay: "TD" }, "2026-11-22T12:00:00.000Z")).toBe(1);
    expect(await games.recordScore("g-a", { home: 7, away: 6, period: "Q2" }, "2026-11-22T12:01:00.000Z")).toBe(2);
    expect(await games.currentSeq("g-a")).toBe(2);
    const listed = (await games.list(100)).find((game) => game.gameId === "g-a");
    expect(listed).toEqual({
      gameId: "g-a",
      home: 7,
      away: 6,
      period: "Q2",
      seq: 2,
      updatedAt: "2026-11-22T12:01:00.000Z",
      timeline: [
        { at: "2026-11-22T12:00:00.000Z", home: 7, away: 3, period: "Q2", play: "TD" },
        { at: "2026-11-22T12:01:00.000Z", home: 7, away: 6, period: "Q2" },
      ],
    });
  });

  // The queues and places tables are exercised by waiting-room.test.ts, through the use cases.

  it("jobs: created once; ready once, which bumps seq", async () => {
    const jobs = new DynamoJobStore(db(), () => tables.jobs!);
    const job = {
      jobId: "j-a",
      fanId: "fan-a",
      kind: "contest-report",
      status: "pending" as const,
      createdAt: "2026-11-22T12:00:00.000Z",
      updatedAt: "2026-11-22T12:00:00.000Z",
      seq: 0,
      expiresAt: 1_900_000_000,
    };
    await jobs.create(job);
    await expect(jobs.create(job)).rejects.toThrow();
    expect(await jobs.markReady("j-a", "results/j-a.json", "2026-11-22T12:00:05.000Z")).toBe(true);
    expect(await jobs.markReady("j-a", "results/j-a.json", "2026-11-22T12:00:06.000Z")).toBe(false);
    expect(await jobs.get("j-a")).toMatchObject({
      status: "ready",
      seq: 1,
      resultKey: "results/j-a.json",
      updatedAt: "2026-11-22T12:00:05.000Z",
    });
    expect(await jobs.currentSeq("j-a")).toBe(1);
  });
});

describe("S3SnapshotStore", () => {
  const frame: MessageFrame = {
    type: "message",
    topic: "game/g1",
    seq: 3,
    kind: "score-update",
    data: { home: 1, away: 0 },
    ts: "2026-11-22T12:00:00.000Z",
  };
  const store = () =>
    new S3SnapshotStore(
      () => s3Client({ region, s3Endpoint: s3.endpoint }),
      () => "adapter-test-data",
      { now: () => Date.now() },
      600,
    );

  it("a snapshot is the exact envelope pushed, at snapshots/{topic}.json, behind a presigned GET", async () => {
    await store().putSnapshot(frame);
    const { url, expiresAt } = await store().presignSnapshot("game/g1");
    expect(new URL(url).pathname).toBe("/adapter-test-data/snapshots/game/g1.json");
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(500_000);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(frame);
  });

  it("a snapshot never goes back: an older or equal seq leaves the newer one in place, whatever the order", async () => {
    const at = (seq: number): MessageFrame => ({ ...frame, topic: "game/order", seq, data: { home: seq, away: 0 } });
    const read = async () => (await (await fetch((await store().presignSnapshot("game/order")).url)).json()) as MessageFrame;
    expect(await store().putSnapshot(at(5))).toBe("written");
    // A retried or bisected older record arrives after the newer one.
    expect(await store().putSnapshot(at(4))).toBe("kept");
    expect(await store().putSnapshot(at(5))).toBe("kept");
    expect((await read()).seq).toBe(5);
    // Writers racing: whatever lands first, the newest seq is what stays.
    await Promise.all([9, 6, 8, 7].map((seq) => store().putSnapshot(at(seq))));
    expect((await read()).seq).toBe(9);
  });

  it("a result URL is valid before the object exists, and a tampered one is refused", async () => {
    const { url } = await store().presignResult("j-s3");
    expect((await fetch(url)).status).toBe(404);
    await store().putResult("j-s3", { total: 42 });
    expect(await (await fetch(url)).json()).toEqual({ total: 42 });
    const tampered = url.replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`);
    expect((await fetch(tampered)).status).toBe(403);
  });
});

describe.each(managementGateways)("Management API gateway (%s) against the local API Gateway", (_name, makeGateway) => {
  const route = { function: { handler: "unused", timeoutSeconds: 5, memoryMB: 128, grants: {} }, routeResponse: false };
  const startGateway = (limits: Partial<GatewayLimits> = {}, log: (level: string, message: string) => void = () => {}) =>
    startWebSocketGateway({
      stage: "adapters",
      apiId: "test",
      routes: { $connect: route, $disconnect: route, $default: route },
      invoke: async () => ({ statusCode: 200 }),
      log,
      limits,
    });

  async function openClients(gatewayServer: WebSocketGateway, count: number) {
    const sockets = await Promise.all(
      Array.from({ length: count }, async () => {
        const socket = new WebSocket(gatewayServer.url);
        await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
        return socket;
      }),
    );
    return { sockets, ids: gatewayServer.connections().map((connection) => connection.connectionId) };
  }

  it("posts to a live connection, answers gone for an unknown one, and closes a connection", async () => {
    const gatewayServer = await startGateway();
    const gateway = makeGateway(gatewayServer.managementEndpoint);
    try {
      const {
        sockets: [socket],
        ids: [connectionId],
      } = await openClients(gatewayServer, 1);
      const received = new Promise<string>((resolve) => socket!.once("message", (data) => resolve(String(data))));

      expect(await gateway.post(connectionId!, '{"hello":1}')).toBe("ok");
      expect(await received).toBe('{"hello":1}');
      expect(await gateway.post("bm90LWEtY29ubmVjdGlvbg=", "{}")).toBe("gone");

      const closed = new Promise((resolve) => socket!.once("close", resolve));
      await gateway.delete(connectionId!);
      await closed;
      await gateway.delete(connectionId!);
      expect(await gateway.post(connectionId!, "{}")).toBe("gone");
    } finally {
      gateway.close();
      await gatewayServer.stop();
    }
  });

  it("retries through the gateway's throttle (429 LimitExceededException) until every post is delivered", async () => {
    const throttled: string[] = [];
    const gatewayServer = await startGateway(
      { managementRatePerSecond: 4 },
      (_level, message) => message.includes("throttled") && throttled.push(message),
    );
    const gateway = makeGateway(gatewayServer.managementEndpoint, { maxAttempts: 8, baseMs: 200, capMs: 1_000, random: () => 0.99 });
    try {
      const { sockets, ids } = await openClients(gatewayServer, 8);
      const received = sockets.map((socket) => new Promise<string>((resolve) => socket.once("message", (data) => resolve(String(data)))));
      expect(await Promise.all(ids.map((id) => gateway.post(id, "tick")))).toEqual(ids.map(() => "ok"));
      expect(await Promise.all(received)).toEqual(ids.map(() => "tick"));
      expect(throttled.length).toBeGreaterThan(0);
      for (const socket of sockets) socket.close();
    } finally {
      gateway.close();
      await gatewayServer.stop();
    }
  });

  it("a throttle that outlasts the attempts is thrown as GatewayUnavailableError 429", async () => {
    const gatewayServer = await startGateway({ managementRatePerSecond: 1 });
    const gateway = makeGateway(gatewayServer.managementEndpoint, { maxAttempts: 2, baseMs: 1, capMs: 2 });
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => gateway.post("bm90LWEtY29ubmVjdGlvbg=", "{}")));
      const errors = outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason as unknown] : []));
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) {
        expect(error).toBeInstanceOf(GatewayUnavailableError);
        expect((error as GatewayUnavailableError).status).toBe(429);
      }
    } finally {
      gateway.close();
      await gatewayServer.stop();
    }
  });

  it("a post over 128 KB is refused with PayloadTooLargeException (413), not retried, not an unavailability", async () => {
    const gatewayServer = await startGateway();
    const gateway = makeGateway(gatewayServer.managementEndpoint);
    try {
      const {
        sockets: [socket],
        ids: [connectionId],
      } = await openClients(gatewayServer, 1);
      const error = await gateway.post(connectionId!, "x".repeat(128 * 1024 + 1)).catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(GatewayUnavailableError);
      expect((error as Error).name).toBe("PayloadTooLargeException");
      expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(413);
      expect(await gateway.post(connectionId!, "x".repeat(128 * 1024))).toBe("ok");
      socket!.close();
    } finally {
      gateway.close();
      await gatewayServer.stop();
    }
  });
});

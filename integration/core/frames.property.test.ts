/**
 * Property tests (fast-check) over the protocol parser and the WebSocket
 * message use case, the latter on DynamoDB Local through the real adapters:
 * any frame, however malformed, never throws, is answered by one frame whose
 * error code is protocol v1's and whose message carries no stack, and a frame
 * that is not a valid subscribe stores nothing. Also the per-connection rate
 * limit on the connections item, with its cost in DynamoDB requests.
 */
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { createTables, startDynamoDbLocal, type DynamoDbLocal } from "@pushgate/local/dynamodb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDocumentClient, s3Client } from "@pushgate/core/adapters/aws-clients";
import { DynamoConnectionStore } from "@pushgate/core/adapters/dynamo-connections";
import { DynamoGameStore } from "@pushgate/core/adapters/dynamo-games";
import { DynamoQuotaCounter } from "@pushgate/core/adapters/dynamo-quotas";
import { DynamoSessionLedger } from "@pushgate/core/adapters/dynamo-sessions";
import { DynamoJobStore } from "@pushgate/core/adapters/dynamo-jobs";
import { DynamoQueueStore } from "@pushgate/core/adapters/dynamo-queues";
import { DynamoSubscriptionStore } from "@pushgate/core/adapters/dynamo-subscriptions";
import { S3SnapshotStore } from "@pushgate/core/adapters/s3-snapshots";
import { createApp, type App } from "@pushgate/core/app";
import { DynamoWatcherCounters } from "@pushgate/core/adapters/dynamo-watchers";
import { loadConfig } from "@pushgate/core/config";
import { ERROR_CODES, MAX_FRAME_BYTES, parseClientFrame, type ServerFrame } from "@pushgate/core/protocol";
import { uniformShardCounts } from "@pushgate/core/shards";
import { topology } from "@pushgate/core/topology";

const region = "us-east-1";
let dynamo: DynamoDbLocal;
let tables: Record<string, string>;
let app: App;
let connections: DynamoConnectionStore;
const gatewayCalls: string[] = [];

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
  dynamo = await startDynamoDbLocal({});
  tables = (await createTables({ endpoint: dynamo.endpoint, topology, stage: "props" })).tableNames;
  const db = dynamoDocumentClient({ region, dynamodbEndpoint: dynamo.endpoint });
  connections = new DynamoConnectionStore(db, () => tables.connections!);
  const clock = { now: () => Date.now() };
  // A generous rate here: the properties are about bad input, the rate limit has its own tests below.
  const config = loadConfig({
    AWS_REGION: region,
    PUSHGATE_FRAME_BURST: "10000",
    PUSHGATE_FRAME_RATE_PER_SECOND: "1000",
    PUSHGATE_MAX_TOPICS_PER_CONNECTION: "5",
  });
  app = createApp(config, {
    connections,
    subscriptions: new DynamoSubscriptionStore(db, () => tables.subscriptions!, uniformShardCounts(4)),
    games: new DynamoGameStore(db, () => tables.games!),
    queues: new DynamoQueueStore(
      db,
      () => tables.queues!,
      () => tables.places!,
    ),
    jobs: new DynamoJobStore(db, () => tables.jobs!),
    sessionLedger: new DynamoSessionLedger(db, () => tables.sessions!),
    quotaCounter: new DynamoQuotaCounter(db, () => tables.quotas!),
    watchers: new DynamoWatcherCounters(db, () => tables.watchers!, clock),
    // No frame publishes; a publication that splits would fail loudly here.
    tasks: {
      enqueue: async () => {
        throw new Error("frames.property.test: nothing here splits a publication");
      },
    },
    // Presigning is local computation: no S3 server is needed for the snapshot URLs of an ack.
    snapshots: new S3SnapshotStore(
      () => s3Client({ region, s3Endpoint: "http://127.0.0.1:9" }),
      () => "props-data",
      clock,
      3600,
    ),
    gateway: { post: async (id) => (gatewayCalls.push(`post ${id}`), "ok"), delete: async (id) => void gatewayCalls.push(`delete ${id}`) },
    clock,
    log: { warn: () => {}, error: () => {} },
    meter: { count: () => {}, milliseconds: () => {} },
    decode: () => {
      throw new Error("unused");
    },
    openSocket: () => Promise.reject(new Error("unused")),
    secret: async () => "x".repeat(32),
  });
  await connections.put({
    connectionId: "prop-conn",
    fanId: "prop-fan",
    topics: [],
    connectedAt: new Date().toISOString(),
    expiresAt: 1_900_000_000,
  });
});

afterAll(async () => {
  await dynamo?.stop();
});

const scanAll = async (table: string) => {
  const db = dynamoDocumentClient({ region, dynamodbEndpoint: dynamo.endpoint });
  return (await db.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
};

/** What an error frame must look like: a known code, a bounded message, no stack. */
function expectSafeError(frame: ServerFrame | undefined) {
  expect(frame?.type).toBe("error");
  if (frame?.type !== "error") return;
  expect(ERROR_CODES).toContain(frame.code);
  expect(frame.message.length).toBeLessThan(400);
  expect(frame.message).not.toMatch(/\n\s+at |Error:|node_modules|\.ts:\d+/);
}

const topicish = fc.oneof(
  fc.string(),
  fc.constantFrom(
    "game/g1",
    "queue/e1",
    "job/j1",
    "game/",
    "/g1",
    "game/has space",
    "game/../x",
    "GAME/g1",
    `game/${"a".repeat(65)}`,
    "game/g1\u0000",
    "job/%2e%2e",
  ),
  fc.tuple(fc.constantFrom("game", "queue", "job", "gam", ""), fc.string()).map(([t, id]) => `${t}/${id}`),
);
const actionish = fc.oneof(
  fc.constantFrom("subscribe", "unsubscribe", "ping", "dance", "", "Subscribe", "__proto__", "constructor"),
  fc.string(),
  fc.integer(),
  fc.constant(null),
);
/** Frames that look like protocol v1 with something wrong, plus plain garbage. */
const malformedFrame = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc
    .record(
      {
        action: actionish,
        id: fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.constant(undefined)),
        topics: fc.oneof(fc.array(topicish, { maxLength: 60 }), fc.string(), fc.constant(null)),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.constantFrom(
    '{"action":"subscribe","id":"x","topics":["game/g1"],"__proto__":{"admin":true}}',
    '{"action":"subscribe"',
    "[]",
    "null",
    '"subscribe"',
    "{}",
    '{"action":"ping"}',
    `{"action":"ping","id":"${"i".repeat(65)}"}`,
  ),
);

describe("parseClientFrame (property)", () => {
  it("never throws; a refusal is an error frame with a known code and no stack", () => {
    fc.assert(
      fc.property(malformedFrame, (text) => {
        const result = parseClientFrame(text);
        if (!result.ok) expectSafeError(result.error);
        else expect(["subscribe", "unsubscribe", "ping"]).toContain(result.frame.action);
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts exactly the well-formed frames, and keeps their id on refusals", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.array(fc.string({ maxLength: 200 }), { minLength: 1, maxLength: 50 }),
        (id, topics) => {
          expect(parseClientFrame(JSON.stringify({ action: "subscribe", id, topics }))).toEqual({
            ok: true,
            frame: { action: "subscribe", id, topics },
          });
          const refused = parseClientFrame(JSON.stringify({ action: "subscribe", id, topics, admin: true }));
          expect(refused.ok).toBe(false);
          if (!refused.ok) expect(refused.error).toMatchObject({ id, code: "BAD_REQUEST" });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("anything over 32 KB is TOO_LARGE before it is parsed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), (extra) => {
        const result = parseClientFrame(JSON.stringify({ action: "ping", id: "p", pad: "x".repeat(MAX_FRAME_BYTES + extra) }));
        expect(result.ok ? undefined : result.error.code).toBe("TOO_LARGE");
      }),
      { numRuns: 20 },
    );
  });
});

describe("handleMessage on DynamoDB Local (property)", () => {
  it("malformed frames: never a throw, always one safe error frame, nothing stored", async () => {
    const before = { subscriptions: await scanAll(tables.subscriptions!), connection: await connections.get("prop-conn") };
    await fc.assert(
      fc.asyncProperty(malformedFrame, fc.constantFrom("prop-conn", "no-such-connection", "a/b+c=="), async (text, connectionId) => {
        const parsed = parseClientFrame(text);
        // Valid frames have their own tests; here only what the parser or the use case must refuse.
        fc.pre(!parsed.ok || parsed.frame.action === "subscribe" || parsed.frame.action === "unsubscribe");
        const outcome = await app.handleMessage(connectionId, text);
        expect(outcome.closed).toBeUndefined();
        if (parsed.ok && parsed.frame.action === "unsubscribe") return expect(outcome.reply?.type).toMatch(/unsubscribed|error/);
        if (outcome.reply?.type === "subscribed") {
          // The generator can produce a valid subscribe; undo it so "nothing stored" holds for the refusals.
          await app.handleMessage(
            connectionId,
            JSON.stringify({ action: "unsubscribe", id: "u", topics: outcome.reply.topics.map((t) => t.topic) }),
          );
          return;
        }
        expectSafeError(outcome.reply);
      }),
      { numRuns: 300 },
    );
    expect(await scanAll(tables.subscriptions!)).toEqual(before.subscriptions);
    expect(await connections.get("prop-conn")).toEqual(before.connection);
    expect(gatewayCalls).toEqual([]);
  });

  it("the topics of a valid subscribe past the per-connection limit are refused each (BAD_REQUEST); the ones that fit are stored", async () => {
    await connections.put({
      connectionId: "limit-conn",
      fanId: "f",
      topics: [],
      connectedAt: new Date().toISOString(),
      expiresAt: 1_900_000_000,
    });
    const ok = await app.handleMessage(
      "limit-conn",
      JSON.stringify({ action: "subscribe", id: "a", topics: ["game/l1", "game/l2", "game/l3", "game/l4"] }),
    );
    expect(ok.reply?.type).toBe("subscribed");
    const before = await scanAll(tables.subscriptions!);
    const over = await app.handleMessage("limit-conn", JSON.stringify({ action: "subscribe", id: "b", topics: ["game/l5", "game/l6"] }));
    expect(over.reply).toMatchObject({
      type: "subscribed",
      id: "b",
      topics: [{ topic: "game/l5" }],
      refused: [{ topic: "game/l6", code: "BAD_REQUEST", message: expect.stringMatching(/at most 5 topics/) }],
    });
    expect((await scanAll(tables.subscriptions!)).length).toBe(before.length + 1);
    expect((await connections.get("limit-conn"))?.topics.sort()).toEqual(["game/l1", "game/l2", "game/l3", "game/l4", "game/l5"]);
  });
});

describe("per-connection rate limit on the connections item", () => {
  const rate = { intervalMs: 1000, burst: 3, strikeWindowMs: 60_000 };

  it("admits a burst, then limits and counts strikes; the bucket refills with time", async () => {
    await connections.put({ connectionId: "rate-1", fanId: "f", topics: [], connectedAt: "", expiresAt: 1_900_000_000 });
    const t0 = 5_000_000;
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await connections.admitFrame("rate-1", t0, rate));
    expect(outcomes).toEqual([
      { outcome: "admitted" },
      { outcome: "admitted" },
      { outcome: "admitted" },
      { outcome: "limited", strikes: 1 },
      { outcome: "limited", strikes: 2 },
    ]);
    expect(await connections.admitFrame("rate-1", t0 + 1000, rate)).toEqual({ outcome: "admitted" });
    expect(await connections.admitFrame("rate-1", t0 + 1000, rate)).toMatchObject({ outcome: "limited", strikes: 3 });
    expect(await connections.admitFrame("rate-1", t0 + 10_000, rate)).toEqual({ outcome: "admitted" });
    expect(await connections.admitFrame("gone-conn", t0, rate)).toEqual({ outcome: "unknown" });
  });

  it("strikes decay: they count within a window opened by the first, so a client that bursts now and then starts again from 1", async () => {
    await connections.put({ connectionId: "rate-4", fanId: "f", topics: [], connectedAt: "", expiresAt: 1_900_000_000 });
    const burstAt = async (now: number) => {
      const outcomes = [];
      for (let i = 0; i < 5; i++) outcomes.push(await connections.admitFrame("rate-4", now, rate));
      return outcomes.filter((o) => o.outcome === "limited").map((o) => (o.outcome === "limited" ? o.strikes : 0));
    };
    const t0 = 20_000_000;
    expect(await burstAt(t0)).toEqual([1, 2]);
    expect(await burstAt(t0 + 30_000)).toEqual([3, 4]); // the same window: they add up
    expect(await burstAt(t0 + 61_000)).toEqual([1, 2]); // a new window: decayed
    expect(await burstAt(t0 + 10 * 60_000)).toEqual([1, 2]);
  });

  it("concurrent frames from many invocations never take more than the burst (conditional updates)", async () => {
    await connections.put({ connectionId: "rate-2", fanId: "f", topics: [], connectedAt: "", expiresAt: 1_900_000_000 });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => connections.admitFrame("rate-2", 7_000_000, { intervalMs: 100, burst: 5, strikeWindowMs: 60_000 })),
    );
    expect(outcomes.filter((o) => o.outcome === "admitted")).toHaveLength(5);
  });

  it("costs 1 conditional write for a calm client, 2 in a burst, 3 when limited (counted at the SDK)", async () => {
    const db = dynamoDocumentClient({ region, dynamodbEndpoint: dynamo.endpoint });
    let sent = 0;
    db.middlewareStack.add((next) => async (args) => (sent++, next(args)), { step: "initialize" });
    const store = new DynamoConnectionStore(db, () => tables.connections!);
    await store.put({ connectionId: "rate-3", fanId: "f", topics: [], connectedAt: "", expiresAt: 1_900_000_000 });
    const cost = async (now: number) => {
      sent = 0;
      await store.admitFrame("rate-3", now, { intervalMs: 1000, burst: 2, strikeWindowMs: 60_000 });
      return sent;
    };
    expect([await cost(9_000_000), await cost(9_000_000), await cost(9_000_000), await cost(9_010_000)]).toEqual([1, 2, 3, 1]);
  });

  it("the use case answers RATE_LIMITED, then closes a client that keeps going with DeleteConnection", async () => {
    const db = dynamoDocumentClient({ region, dynamodbEndpoint: dynamo.endpoint });
    const store = new DynamoConnectionStore(db, () => tables.connections!);
    await store.put({ connectionId: "abuser", fanId: "f", topics: [], connectedAt: "", expiresAt: 1_900_000_000 });
    const calls: string[] = [];
    const { handleMessage } = await import("@pushgate/core/usecases/messages");
    const deps = {
      connections: store,
      gateway: {
        post: async (_id: string, data: string) => (calls.push(`post ${JSON.parse(data).code}`), "ok" as const),
        delete: async (id: string) => void calls.push(`delete ${id}`),
      },
      clock: { now: () => 8_000_000 },
      frameRate: { perSecond: 1, burst: 2, maxStrikes: 2, strikeWindowSeconds: 60 },
      handleFrame: async () => ({ type: "pong", id: "p" }) as const,
      forgetConnection: async (id: string) => void (await store.delete(id)),
    };
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await handleMessage(deps, "abuser", `{"action":"ping","id":"p${i}"}`));
    expect(replies.map((r) => (r.reply?.type === "error" ? r.reply.code : (r.reply?.type ?? r.closed)))).toEqual([
      "pong",
      "pong",
      "RATE_LIMITED",
      "RATE_LIMITED",
      "rate-limit",
    ]);
    expect(replies[2]!.reply).toMatchObject({ id: "p2" });
    expect(calls).toEqual(["post RATE_LIMITED", "delete abuser"]);
    expect(await store.get("abuser")).toBeUndefined();
  });
});

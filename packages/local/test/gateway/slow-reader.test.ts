/**
 * A client that stops reading, through the real gateway, real `ws` sockets
 * and the real Management API clients: posts to it are answered at once (200
 * while its unsent bytes are under the bound, 429 LimitExceededException
 * over it), the others are not slowed, the fan-out treats the 429 as that
 * one connection's problem, and a connection that stays full is closed.
 *
 * A reader is stopped with `ws.pause()`, which stops reading its TCP socket:
 * the kernel buffers fill, then the gateway's.
 */
import { ApiGatewayManagementApiClient, LimitExceededException, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { afterEach, describe, expect, it } from "vitest";
import type { CircuitBreaker } from "@pushgate/core/circuit-breaker";
import { GuardedGateway } from "@pushgate/core/guarded-gateway";
import { fanOut } from "@pushgate/core/fanout";
import { LeanManagementApiGateway } from "@pushgate/core/adapters/lean-management-api-gateway";
import { ManagementApiGateway } from "@pushgate/core/adapters/management-api-gateway";
import { managementApiClient } from "@pushgate/core/adapters/aws-clients";
import { shardOf, uniformShardCounts } from "@pushgate/core/shards";
import type { Gateway, Subscription, SubscriptionStore } from "@pushgate/core/ports";
import type { MessageFrame } from "@pushgate/core/protocol";
import { DEFAULT_GATEWAY_LIMITS, SLOW_READER_CLOSE } from "../../src/gateway";
import { startTestGateway, type TestGateway } from "./harness";

/** The fakes' subscriptions expire at 0 (epoch seconds): a clock there keeps them live. */
const epoch = { now: () => 0 };

let current: TestGateway | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await current?.stop();
  current = undefined;
});
const start = async (options: Parameters<typeof startTestGateway>[0]) => (current = await startTestGateway(options));
const routes = { $connect: {}, $disconnect: {} };
const PUSH = "x".repeat(120 * 1024);

/** Fails instead of hanging: the old gateway never answered a post to a stopped reader. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function noRetryClient(t: TestGateway) {
  const client = new ApiGatewayManagementApiClient({
    endpoint: t.gateway.managementEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  cleanups.push(() => client.destroy());
  return client;
}

/** Posts 120 KB pushes to a stopped reader until refused; returns the refusal and the slowest answer. */
async function fillUntilRefused(client: ApiGatewayManagementApiClient, connectionId: string) {
  const started = performance.now();
  let slowestPostMs = 0;
  for (let posts = 1; posts <= 400; posts++) {
    const postStarted = performance.now();
    const error = await within(
      1_000,
      `PostToConnection number ${posts} to a stopped reader`,
      client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: PUSH })).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    slowestPostMs = Math.max(slowestPostMs, performance.now() - postStarted);
    if (error) return { error, posts, refusedAfterMs: performance.now() - started, slowestPostMs };
  }
  throw new Error("400 posts (48 MB) were accepted for a reader that reads nothing: the buffer bound is not enforced");
}

describe("a client that stops reading", () => {
  it("gets 429 LimitExceededException within a second, and other fans' pushes are not delayed by more than a second", async () => {
    const t = await start({ routes });
    const stalled = t.connect();
    await stalled;
    const stalledId = t.gateway.connections()[0]!.connectionId;
    const reader = t.connect();
    await reader;
    const readerId = t.gateway.connections().find((c) => c.connectionId !== stalledId)!.connectionId;
    stalled.ws.pause();
    const client = noRetryClient(t);

    const fill = await fillUntilRefused(client, stalledId);
    expect(fill.error).toBeInstanceOf(LimitExceededException);
    expect((fill.error as LimitExceededException).$metadata.httpStatusCode).toBe(429);
    expect((fill.error as Error).message).toMatch(/^WebSocket client side buffer is full: /);
    // Every answer is quick, the refusal included; how long filling the OS buffers (~4 MB) takes depends on the machine's load.
    expect(fill.slowestPostMs).toBeLessThan(1_000);
    console.info(
      `stopped reader refused after ${fill.posts} posts of 120 KB in ${fill.refusedAfterMs.toFixed(0)} ms; slowest post ${fill.slowestPostMs.toFixed(1)} ms`,
    );

    // Another fan, pushed while the stopped reader stays full.
    let slowestOtherMs = 0;
    for (let i = 0; i < 20; i++) {
      const sent = performance.now();
      await client.send(new PostToConnectionCommand({ ConnectionId: readerId, Data: `m${i}` }));
      expect(await within(1_000, "a push to a reading fan", reader.nextMessage())).toBe(`m${i}`);
      slowestOtherMs = Math.max(slowestOtherMs, performance.now() - sent);
      await expect(client.send(new PostToConnectionCommand({ ConnectionId: stalledId, Data: "more" }))).rejects.toBeInstanceOf(
        LimitExceededException,
      );
    }
    expect(slowestOtherMs).toBeLessThan(1_000);
    console.info(`pushes to a reading fan meanwhile: slowest ${slowestOtherMs.toFixed(1)} ms from POST to arrival`);
  });

  it("is closed when it stays full (SLOW_READER_CLOSE in $disconnect), and a post then answers 410", async () => {
    const t = await start({ routes });
    const stalled = t.connect();
    await stalled;
    const id = t.gateway.connections()[0]!.connectionId;
    stalled.ws.pause();
    const client = noRetryClient(t);
    await fillUntilRefused(client, id);

    t.time.advance(DEFAULT_GATEWAY_LIMITS.slowReaderCloseMs - 1);
    expect(t.gateway.connections()).toHaveLength(1);
    t.time.advance(1);
    const event = await within(1_000, "$disconnect", t.recorder.waitFor("$disconnect"));
    expect(event.requestContext).toMatchObject({
      connectionId: id,
      disconnectStatusCode: SLOW_READER_CLOSE.code,
      disconnectReason: SLOW_READER_CLOSE.reason,
    });
    expect(SLOW_READER_CLOSE).toEqual({ code: 1008, reason: "Slow reader: the client side buffer stayed full" });
    expect(t.gateway.connections()).toHaveLength(0);
    await expect(client.send(new PostToConnectionCommand({ ConnectionId: id, Data: "late" }))).rejects.toMatchObject({
      name: "GoneException",
    });
  });

  it("is not closed if it reads again before the window ends", async () => {
    const t = await start({ routes });
    const stalled = t.connect();
    await stalled;
    const id = t.gateway.connections()[0]!.connectionId;
    stalled.ws.pause();
    const client = noRetryClient(t);
    const fill = await fillUntilRefused(client, id);
    stalled.ws.resume();
    for (let i = 0; i < fill.posts - 1; i++) await within(5_000, "draining", stalled.nextMessage());
    // Everything it was sent has arrived, so the gateway's buffer has drained.
    t.time.advance(DEFAULT_GATEWAY_LIMITS.slowReaderCloseMs * 2);
    expect(t.gateway.connections().map((c) => c.connectionId)).toEqual([id]);
    await client.send(new PostToConnectionCommand({ ConnectionId: id, Data: "welcome back" }));
    expect(await stalled.nextMessage()).toBe("welcome back");
  });
});

function memorySubscriptions(connectionIds: string[], shardCount = 2): SubscriptionStore {
  return {
    shardCounts: uniformShardCounts(shardCount),
    putAll: async () => {},
    deleteAll: async () => {},
    async *listShard(topic, shard) {
      const mine: Subscription[] = connectionIds
        .filter((id) => shardOf(id, shardCount) === shard)
        .map((connectionId) => ({ topic, connectionId, fanId: "f", expiresAt: 0, shard }));
      if (mine.length > 0) yield mine;
    },
  };
}

describe.each([
  [
    "lean client",
    (endpoint: string): Gateway & { close(): void } =>
      new LeanManagementApiGateway({
        endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
        maxSockets: 8,
        timeoutMs: 2_000,
      }),
  ],
  [
    "SDK client",
    (endpoint: string): Gateway & { close(): void } => {
      const client = managementApiClient({ region: "us-east-1" }, endpoint);
      return Object.assign(new ManagementApiGateway(() => client), { close: () => void client.then((made) => made.destroy()) });
    },
  ],
])("the fan-out, through the %s, with one stopped reader among five fans", (_name, makeGateway) => {
  it("delivers to everyone else, does not trip its breaker, and does not fail (retry) the publication", async () => {
    const previous = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = "local";
    process.env.AWS_SECRET_ACCESS_KEY = "local";
    cleanups.push(() => {
      process.env.AWS_ACCESS_KEY_ID = previous.AWS_ACCESS_KEY_ID;
      process.env.AWS_SECRET_ACCESS_KEY = previous.AWS_SECRET_ACCESS_KEY;
    });
    const t = await start({ routes });
    const fans = [];
    for (let i = 0; i < 5; i++) {
      const fan = t.connect();
      await fan;
      fans.push(fan);
    }
    const ids = t.gateway.connections().map((c) => c.connectionId);
    const stalled = fans[0]!;
    stalled.ws.pause();
    await fillUntilRefused(noRetryClient(t), ids[0]!);

    const warnings: string[] = [];
    const log = { warn: (message: string) => void warnings.push(message), error: (message: string) => void warnings.push(message) };
    const inner = makeGateway(t.gateway.managementEndpoint);
    cleanups.push(() => inner.close());
    // Strict on purpose: one counted failure in five calls would open it.
    const gateway = new GuardedGateway(
      inner,
      {
        failureRateThreshold: 0.1,
        minimumVolume: 5,
        windowMs: 60_000,
        sleepWindowMs: 60_000,
        maxConcurrent: 8,
        maxWaitMs: 0,
        clock: { now: () => Date.now() },
        sleep: async () => {},
      },
      log,
    );
    const breaker: CircuitBreaker = gateway.breaker;
    const publications = 10;
    const started = performance.now();
    for (let seq = 1; seq <= publications; seq++) {
      const frame: MessageFrame = {
        type: "message",
        topic: "game/g1",
        seq,
        kind: "score-update",
        data: { home: seq, away: 0 },
        ts: new Date().toISOString(),
      };
      const result = await fanOut(frame, {
        subscriptions: memorySubscriptions(ids),
        gateway,
        forgetConnection: async () => {},
        log,
        clock: epoch,
        concurrency: 4,
      });
      expect(result).toMatchObject({ delivered: 4, full: 1, gone: 0, failed: 0, unavailable: 0 });
    }
    const elapsedMs = performance.now() - started;
    expect(breaker.currentState).toBe("closed");
    expect(warnings.filter((w) => /circuit|publication incomplete/.test(w))).toEqual([]);
    expect(warnings.filter((w) => /not reading/.test(w))).toHaveLength(publications);
    for (const fan of fans.slice(1)) {
      for (let seq = 1; seq <= publications; seq++) expect(JSON.parse(await within(1_000, "a push", fan.nextMessage())).seq).toBe(seq);
    }
    console.info(`${publications} publications to 5 fans (1 stopped reader) in ${elapsedMs.toFixed(0)} ms`);
  });
});

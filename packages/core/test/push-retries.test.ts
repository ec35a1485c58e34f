/**
 * The Management API clients' explicit retries (the SDK client's and the lean
 * one's, one shared policy), against a plain HTTP server that answers what a sick API Gateway would
 * (429 LimitExceededException, 500), and the fan-out's answer to a downstream
 * that stays unavailable: the publication fails (so its stream record is
 * retried) and a retry only pushes to the subscribers not yet reached.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayUnavailableError, PublicationIncompleteError } from "../src/errors";
import { DeliveryMemo, fanOut } from "../src/fanout";
import type { Gateway, Subscription, SubscriptionStore } from "../src/ports";
import type { MessageFrame } from "../src/protocol";
import { uniformShardCounts } from "../src/shards";
import { managementGateways, type ClosableGateway } from "./management-gateways";

/** The fakes' subscriptions expire at 0 (epoch seconds): a clock there keeps them live. */
const epoch = { now: () => 0 };

let server: Server;
let endpoint: string;
let answer: { status: number; type?: string; message?: string } = { status: 200 };
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
    request.on("end", () => {
      if (answer.type) response.setHeader("x-amzn-ErrorType", answer.type);
      response.writeHead(answer.status, { "content-type": "application/json" });
      response.end(answer.status === 200 ? "" : JSON.stringify({ message: answer.message ?? answer.type ?? "error" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/test`;
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe.each(managementGateways)("Management API retries (%s, shared policy)", (_name, makeGateway) => {
  const made: ClosableGateway[] = [];
  const gateway = (maxAttempts: number) => {
    made.push(makeGateway(endpoint, { maxAttempts, baseMs: 1, capMs: 5 }));
    return made.at(-1)!;
  };
  afterAll(() => {
    for (const each of made) each.close();
  });

  it.each([
    [429, "LimitExceededException"],
    [500, "InternalServerErrorException"],
    [503, undefined],
  ])("%i is retried up to maxAttempts, then thrown as GatewayUnavailableError", async (status, type) => {
    answer = { status, ...(type && { type }) };
    requests.length = 0;
    const error = await gateway(4)
      .post("abc=", "{}")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayUnavailableError);
    expect((error as GatewayUnavailableError).status).toBe(status);
    expect(requests).toHaveLength(4);
    expect(requests[0]).toBe("POST /test/@connections/abc%3D");
  });

  it("a 429 saying the client side buffer is full is that connection's answer: 'full', not retried, not unavailability", async () => {
    answer = {
      status: 429,
      type: "LimitExceededException",
      message: "WebSocket client side buffer is full: connection abc= has 400000 bytes it has not read",
    };
    requests.length = 0;
    expect(await gateway(4).post("abc=", "{}")).toBe("full");
    expect(requests).toHaveLength(1);
  });

  it.each([
    [
      "AWS's two-cause sentence",
      "The client is sending more than the allowed number of requests per unit of time or the WebSocket client side buffer is full.",
    ],
    ["a plain throttle", "Too Many Requests"],
  ])("a 429 with %s is a throttle: retried, then GatewayUnavailableError", async (_what, message) => {
    answer = { status: 429, type: "LimitExceededException", message };
    requests.length = 0;
    await expect(gateway(3).post("abc=", "{}")).rejects.toBeInstanceOf(GatewayUnavailableError);
    expect(requests).toHaveLength(3);
  });

  it("a client error (403, 413) is not retried and is not an unavailability", async () => {
    for (const [status, type] of [
      [403, "ForbiddenException"],
      [413, "PayloadTooLargeException"],
    ] as const) {
      answer = { status, type };
      requests.length = 0;
      const error = await gateway(4)
        .post("abc", "{}")
        .catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(GatewayUnavailableError);
      expect((error as Error).name).toBe(type);
      expect(requests).toHaveLength(1);
    }
  });

  it("410 GoneException is an answer, not retried", async () => {
    answer = { status: 410, type: "GoneException" };
    requests.length = 0;
    expect(await gateway(4).post("abc", "{}")).toBe("gone");
    expect(requests).toHaveLength(1);
  });

  it("a downstream that recovers within the attempts succeeds", async () => {
    let left = 3;
    answer = { status: 500, type: "InternalServerErrorException" };
    requests.length = 0;
    const recoverOnThird = () => {
      if (--left === 0) answer = { status: 200 };
    };
    server.prependListener("request", recoverOnThird);
    expect(await gateway(3).post("abc", "{}")).toBe("ok");
    expect(requests).toHaveLength(3);
    // Only this one: the server's own handler serves the next suite.
    server.removeListener("request", recoverOnThird);
  });
});

const frame: MessageFrame = {
  type: "message",
  topic: "game/g1",
  seq: 3,
  kind: "score-update",
  data: { home: 1, away: 0 },
  ts: "2026-11-22T12:00:00.000Z",
};

function audience(ids: string[]): SubscriptionStore {
  return {
    shardCounts: uniformShardCounts(1),
    putAll: async () => {},
    deleteAll: async () => {},
    async *listShard(topic) {
      yield ids.map((connectionId): Subscription => ({ topic, connectionId, fanId: "f", expiresAt: 0, shard: 0 }));
    },
  };
}

describe("fan-out with an unavailable downstream", () => {
  it("fails the publication (record retried); the retry pushes only to those not reached, and each is reached once", async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const received: string[] = [];
    let capacity = 4; // the downstream accepts 4 pushes, then throttles
    const gatewayFake: Gateway = {
      async post(connectionId) {
        if (capacity-- <= 0) throw new GatewayUnavailableError("429", 429);
        received.push(connectionId);
        return "ok";
      },
      delete: async () => {},
    };
    const memo = new DeliveryMemo();
    const warnings: unknown[] = [];
    const deps = {
      subscriptions: audience(ids),
      gateway: gatewayFake,
      forgetConnection: async () => {},
      log: { warn: (...a: unknown[]) => warnings.push(a), error: () => {} },
      clock: epoch,
      concurrency: 3,
      memo,
    };

    await expect(fanOut(frame, deps)).rejects.toBeInstanceOf(PublicationIncompleteError);
    expect(received).toHaveLength(4);
    capacity = 100; // recovered
    const retried = await fanOut(frame, deps);
    expect(retried).toMatchObject({ delivered: 6, skipped: 4, unavailable: 0 });
    expect(received.sort()).toEqual([...ids].sort());
  });

  it("a per-connection client error (403) is logged and does not fail the publication", async () => {
    const gatewayFake: Gateway = {
      post: async (id) => {
        if (id === "bad") throw Object.assign(new Error("Forbidden"), { name: "ForbiddenException" });
        return "ok";
      },
      delete: async () => {},
    };
    const result = await fanOut(frame, {
      subscriptions: audience(["a", "bad", "b"]),
      gateway: gatewayFake,
      forgetConnection: async () => {},
      log: { warn: () => {}, error: () => {} },
      clock: epoch,
      concurrency: 2,
    });
    expect(result).toMatchObject({ delivered: 2, failed: 1, unavailable: 0 });
  });
});

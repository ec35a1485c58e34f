/**
 * Security through the local cloud: no token, secret or
 * operator key in any log line; client input reaches logs only escaped and
 * clipped; tokens only as a subprotocol; the per-connection frame rate limit
 * (RATE_LIMITED, then closed with DeleteConnection); the TTL of connections
 * and subscriptions.
 */
import { DescribeTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { adminDocumentClient, adminDynamoClient } from "./clients";
import type { SessionResponse } from "@pushgate/core/protocol";
import { listedShards, topicShardKey } from "@pushgate/core/shards";
import { subscriptionShards } from "@pushgate/core/topology";
import { CONNECTION_TTL_SECONDS } from "@pushgate/core/usecases/connections";
import { startLocalCloud, type LocalCloud } from "@pushgate/local";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureOutput, until } from "./capture";
import { connectFan, refusedStatus, type Fan } from "./fan";

let cloud: LocalCloud;
const fans: Fan[] = [];
const output = captureOutput({ quiet: true });

beforeAll(async () => {
  cloud = await startLocalCloud({
    log: (level, message) => output.add(`[local ${level}] ${message}`),
    environment: {
      POWERTOOLS_LOG_LEVEL: "DEBUG",
      PUSHGATE_FRAME_RATE_PER_SECOND: "1",
      PUSHGATE_FRAME_BURST: "5",
      PUSHGATE_FRAME_RATE_STRIKES: "3",
    },
  });
});

afterAll(async () => {
  await Promise.all(fans.map((fan) => fan.close()));
  await cloud?.stop();
  output.stop();
});

async function http(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const response = await fetch(`${cloud.endpoints.httpApiUrl}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}
const session = async (previous?: string) =>
  (await http("POST", "/session", previous ? { authorization: `Bearer ${previous}` } : {}, {})).body as SessionResponse;
async function fan(): Promise<Fan & SessionResponse> {
  const s = await session();
  const connected = await connectFan(cloud.endpoints.websocketUrl, s.token);
  fans.push(connected);
  return Object.assign(connected, s);
}

describe("secrets never reach a log", () => {
  it("session, connect, subscribe, refusals and failed auth leave no token, JWT secret or operator key in any log line", async () => {
    const tokens: string[] = [];
    const alice = await fan();
    tokens.push(alice.token);
    tokens.push((await session(alice.token)).token);
    await alice.request({ action: "subscribe", id: "s1", topics: ["game/sec-g1"] });
    await alice.request({ action: "subscribe", id: "s2", topics: ["job/not-mine"] });
    expect((await http("GET", "/snapshots?topics=game/sec-g1,game/_canary", { authorization: `Bearer ${alice.token}` })).status).toBe(200);
    alice.socket.send("not json at all");
    await alice.request({ action: "ping", id: "p1" });

    const key = new TextEncoder().encode(cloud.secrets.JWT_SECRET!);
    const issuer = "pushgate/local";
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("mallory")
      .setIssuer(issuer)
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("a-wrong-secret-that-is-long-enough-000"));
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("late")
      .setIssuer(issuer)
      .setIssuedAt(1_700_000_000)
      .setExpirationTime(1_700_000_600)
      .sign(key);
    const otherStage = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("s")
      .setIssuer("pushgate/prod")
      .setExpirationTime("1h")
      .sign(key);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify({ sub: "x", iss: issuer, exp: 4_000_000_000 })).toString("base64url")}.`;
    const hs512 = await new SignJWT({})
      .setProtectedHeader({ alg: "HS512" })
      .setSubject("s")
      .setIssuer(issuer)
      .setExpirationTime("1h")
      .sign(key);
    for (const bad of [forged, expired, otherStage, unsigned, hs512]) {
      tokens.push(bad);
      expect(await refusedStatus(cloud.endpoints.websocketUrl, ["pushgate.v1", `token.${bad}`])).toBe(401);
      expect((await http("POST", "/jobs", { authorization: `Bearer ${bad}` }, { kind: "contest-report" })).status).toBe(401);
    }
    expect((await http("POST", "/games/sec-g1/score", { "x-operator-key": "wrong-key" }, { home: 1, away: 0 })).status).toBe(403);
    expect(
      (await http("POST", "/games/sec-g1/score", { "x-operator-key": cloud.endpoints.operatorKey }, { home: 1, away: 0 })).status,
    ).toBe(200);
    await cloud.drained();

    const logs = output.text();
    // The capture saw the handlers' logs (not vacuous): the refusals were logged.
    expect(logs).toMatch(/"message":"request refused"/);
    // Topics refused one by one in an answer (subscribe, GET /snapshots) are logged too: one line each answer, with the codes.
    expect(logs).toMatch(/"message":"topics refused".*"refused":\[\{"topic":"job\/not-mine","code":"FORBIDDEN"\}\]/);
    expect(logs).toMatch(/"message":"topics refused".*"refused":\[\{"topic":"game\/_canary","code":"FORBIDDEN"\}\]/);
    for (const secret of [...tokens, cloud.secrets.JWT_SECRET!, cloud.endpoints.operatorKey]) {
      expect(logs.includes(secret), `a secret or token of ${secret.length} chars appears in the logs`).toBe(false);
      // Nor its signature part alone.
      expect(logs.includes(secret.split(".").at(-1) || "\u0000never")).toBe(false);
    }
  });

  it("a token in the URL is not accepted: only the subprotocol carries it", async () => {
    const { token } = await session();
    expect(await refusedStatus(`${cloud.endpoints.websocketUrl}?token=${token}`, ["pushgate.v1"])).toBe(401);
    expect(await refusedStatus(`${cloud.endpoints.websocketUrl}?Authorization=Bearer%20${token}`, ["pushgate.v1"])).toBe(401);
  });

  it("client input reaches the logs only JSON-escaped and clipped; the error frame has no stack", async () => {
    const bob = await fan();
    const forged = '\n{"level":"ERROR","message":"forged line"}';
    for (const [topic, code] of [
      [`game/${"Z".repeat(5_000)}${forged}`, "BAD_REQUEST"],
      [`game/${"Z".repeat(150)}${forged}`, "INVALID_TOPIC"],
    ] as const) {
      const answer = await bob.request({ action: "subscribe", id: `inj-${code}`, topics: [topic] });
      // A frame the parser refuses is an error frame; a topic refused alone is in the ack's refused list.
      const refused = answer.type === "subscribed" ? answer.refused?.[0] : answer;
      expect(refused).toMatchObject({ code });
      expect((refused as { message: string }).message.length).toBeLessThan(300);
      expect((refused as { message: string }).message).not.toMatch(/\n\s+at /);
    }
    await bob.request({ action: `${"Y".repeat(3_000)}${forged}`, id: "inj2" });
    const logs = output.text();
    expect(logs).not.toContain("Z".repeat(100));
    expect(logs).not.toContain("Y".repeat(100));
    // Every handler log line is one JSON object: the forged line did not become a line of its own.
    const lines = logs.split("\n").filter((line) => line.startsWith("{"));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.filter((line) => line.startsWith('{"level":"ERROR","message":"forged line"'))).toEqual([]);
  });
});

const db = () => adminDocumentClient(cloud);

/** The subscription items of a topic, over every shard the fan-out lists (a Query per shard, as it does). */
async function subscriptionsOf(topic: string): Promise<Record<string, any>[]> {
  const items: Record<string, any>[] = [];
  for (let shard = 0; shard < listedShards(topic, subscriptionShards); shard++) {
    const page = await db().send(
      new QueryCommand({
        TableName: cloud.endpoints.tables.subscriptions!,
        KeyConditionExpression: "topicShard = :s",
        ExpressionAttributeValues: { ":s": topicShardKey(topic, shard) },
      }),
    );
    items.push(...(page.Items ?? []));
  }
  return items;
}
const connectionItem = async (connectionId: string) =>
  (await db().send(new GetCommand({ TableName: cloud.endpoints.tables.connections!, Key: { connectionId }, ConsistentRead: true }))).Item;

describe("per-connection limits", () => {
  it("a burst over the frame rate is answered RATE_LIMITED; a client that keeps going is told (1008 policy) and closed", async () => {
    const mallory = await fan();
    expect(await mallory.request({ action: "subscribe", id: "m0", topics: ["game/abuse-g"] })).toMatchObject({ type: "subscribed" });
    const [{ connectionId }] = (await subscriptionsOf("game/abuse-g")) as [{ connectionId: string }];
    const closed = new Promise<number>((resolve) => mallory.socket.once("close", (code) => resolve(code)));
    for (let i = 0; i < 30; i++) mallory.socket.send(JSON.stringify({ action: "ping", id: `f${i}` }));
    const code = await closed;
    const pongs = mallory.frames.filter((frame) => frame.type === "pong");
    const limited = mallory.frames.filter((frame) => frame.type === "error" && frame.code === "RATE_LIMITED");
    expect(pongs.length).toBeGreaterThanOrEqual(4); // the rest of the burst (and what refilled meanwhile)
    expect(pongs.length).toBeLessThan(30);
    const policy = limited.filter((frame) => /policy violation \(1008\)/.test((frame as { message: string }).message));
    // 3 strikes answered RATE_LIMITED, then the closing frame (frames in flight at once may add one more of either).
    expect(limited.length - policy.length).toBeGreaterThanOrEqual(3);
    expect(policy.length).toBeGreaterThanOrEqual(1);
    // API Gateway chooses DeleteConnection's close code; the local gateway's is 1000 (see docs/reliability.md).
    expect(code).toBe(1000);
    // The disconnect deletes the connection item first and its subscriptions after: wait for both.
    await until(async () => (await connectionItem(connectionId)) === undefined, "the abuser's connection item deleted");
    await until(async () => (await subscriptionsOf("game/abuse-g")).length === 0, "the abuser's subscriptions deleted");
  });

  it("a calm client under the rate is never limited", async () => {
    const carol = await fan();
    for (let i = 0; i < 4; i++) expect(await carol.request({ action: "ping", id: `c${i}` })).toEqual({ type: "pong", id: `c${i}` });
  });
});

describe("stale connections: TTL", () => {
  it("connections and subscriptions carry expiresAt (epoch seconds) past API Gateway's 2-hour limit, and TTL is on for both tables", async () => {
    const before = Math.floor(Date.now() / 1000);
    const dave = await fan();
    await dave.request({ action: "subscribe", id: "t1", topics: ["game/ttl-g"] });
    const after = Math.floor(Date.now() / 1000);
    const subscriptions = await subscriptionsOf("game/ttl-g");
    expect(subscriptions).toHaveLength(1);
    const connection = (await connectionItem(subscriptions[0]!.connectionId))!;
    expect(typeof connection.expiresAt).toBe("number");
    expect(connection.expiresAt).toBeGreaterThanOrEqual(before + CONNECTION_TTL_SECONDS);
    expect(connection.expiresAt).toBeLessThanOrEqual(after + CONNECTION_TTL_SECONDS);
    expect(subscriptions[0]!.expiresAt).toBe(connection.expiresAt);
    expect(CONNECTION_TTL_SECONDS).toBeGreaterThan(2 * 3600);
    const raw = adminDynamoClient(cloud);
    for (const table of [cloud.endpoints.tables.connections!, cloud.endpoints.tables.subscriptions!]) {
      const ttl = await raw.send(new DescribeTimeToLiveCommand({ TableName: table }));
      expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });
    }
  });
});

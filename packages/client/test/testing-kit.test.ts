/**
 * The testing kit (`@pushgate/client/testing`) driving the real client: each
 * capability an app test relies on (publish, drop, stall, polling and back,
 * refused topics, expired sessions, time) behaves as the real gateway makes
 * the client behave, through the real wire protocol.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createPushClient, type PushClient } from "../src/index";
import type { PushClientError } from "../src/errors";
import { createFakePushServer, type FakePushServer } from "../src/testing/index";

let client: PushClient | undefined;
afterEach(() => {
  client?.close();
  client = undefined;
});

async function live(server: FakePushServer, topics: string[] = ["game/g1"]) {
  client = createPushClient(server.clientOptions());
  const errors: PushClientError[] = [];
  client.on("error", (error) => errors.push(error));
  const stops = topics.map((topic) => client!.topic(topic).subscribe(() => {}));
  client.connect();
  await server.settle();
  return { client, errors, stops };
}

describe("the fake push server", () => {
  it("opens a socket with the session token as subprotocol, acknowledges the subscribe, and pushes what the test publishes", async () => {
    const server = createFakePushServer();
    const { client } = await live(server);
    expect(client.getState()).toBe("live");
    const connection = server.connection();
    expect(connection.socket.protocols).toEqual(["pushgate.v1", `token.${server.sessions[0]!.token}`]);
    expect(connection.framesOf("subscribe").flatMap((frame) => frame.topics)).toEqual(["game/g1"]);
    expect(server.subscribers("game/g1")).toBe(1);

    server.publish("game/g1", { home: 1, away: 0 });
    await server.settle();
    expect(client.topic("game/g1").getSnapshot()).toMatchObject({ status: "ready", seq: 1, source: "push", data: { home: 1, away: 0 } });
    expect(client.topic("game/g1").getSnapshot().ts).toBe("2026-11-22T12:00:00.000Z");
  });

  it("catches a late subscriber up from the snapshot the ack points to", async () => {
    const server = createFakePushServer();
    server.publish("game/g1", { home: 2, away: 2 });
    const { client } = await live(server);
    expect(client.topic("game/g1").getSnapshot()).toMatchObject({ seq: 1, source: "snapshot", data: { home: 2, away: 2 } });
  });

  it("unsubscribes on the wire when the last listener leaves", async () => {
    const server = createFakePushServer();
    const { stops } = await live(server);
    stops[0]!();
    await server.settle();
    expect(server.subscribers("game/g1")).toBe(0);
    expect(server.connection().framesOf("unsubscribe")).toHaveLength(1);
  });

  it("drop: a stable socket that drops reconnects after the backoff, resubscribes and resyncs what it missed", async () => {
    const server = createFakePushServer();
    const { client } = await live(server);
    await server.advance(10_000); // stable: the next drop is "reconnecting", not "polling"
    server.drop();
    await server.settle();
    expect(client.getState()).toBe("reconnecting");
    server.publish("game/g1", { home: 3, away: 1 }); // nobody to push to
    await server.advance(client.connection.getSnapshot().nextRetryAt! - server.now());
    expect(client.getState()).toBe("live");
    expect(server.openConnections()).toHaveLength(1);
    expect(client.topic("game/g1").getSnapshot()).toMatchObject({ seq: 1, source: "snapshot", data: { home: 3, away: 1 } });
  });

  it("stall: a half-open socket is found dead by the unanswered ping, closed with 4000 and replaced", async () => {
    const server = createFakePushServer();
    const { client, errors } = await live(server);
    const first = server.connection();
    server.stall();
    server.publish("game/g1", { home: 9, away: 9 });
    await server.settle();
    expect(client.topic("game/g1").getSnapshot().seq).toBe(0); // lost on the dead link
    await server.advance(5 * 60_000 + 10_000);
    expect(errors.map((error) => error.code)).toContain("PONG_TIMEOUT");
    expect(first.closed).toMatchObject({ code: 4000, by: "client" });
    await server.advance(20_000);
    expect(client.getState()).toBe("live");
    expect(client.topic("game/g1").getSnapshot()).toMatchObject({ seq: 1, data: { home: 9, away: 9 } });
  });

  it("refuseConnections: the client polls the snapshots, and returns to live (and stops polling) once accepted", async () => {
    const server = createFakePushServer();
    server.refuseConnections();
    const { client } = await live(server);
    expect(client.getState()).toBe("polling");
    expect(server.refusedHandshakes).toBe(1);
    server.publish("game/g1", { home: 0, away: 1 });
    await server.advance(2_000);
    expect(client.topic("game/g1").getSnapshot()).toMatchObject({ seq: 1, source: "snapshot" });
    expect(server.requests.some((request) => request.url.includes("/snapshots?topics=game%2Fg1"))).toBe(true);
    const unchanged = server.requests.length;
    await server.advance(2_000);
    expect(server.requests.slice(unchanged).map((request) => request.status)).toContain(304);

    server.acceptConnections();
    await server.advance(30_000);
    expect(client.getState()).toBe("live");
    const afterLive = server.requests.length;
    await server.advance(10_000);
    expect(server.requests.length).toBe(afterLive);
  });

  it("refuseConnections('hang'): the handshake never answers and the connect timeout decides", async () => {
    const server = createFakePushServer();
    server.refuseConnections("hang");
    const { client, errors } = await live(server);
    expect(client.getState()).toBe("connecting");
    await server.advance(15_000);
    expect(errors.map((error) => error.code)).toContain("HANDSHAKE_TIMEOUT");
    expect(client.getState()).toBe("polling");
  });

  it("refuseTopic: that topic's store shows the refusal, the others are subscribed", async () => {
    const server = createFakePushServer();
    server.refuseTopic("job/j9");
    const { client } = await live(server, ["game/g1", "job/j9"]);
    expect(client.topic("job/j9").getSnapshot()).toMatchObject({ status: "error", error: { code: "FORBIDDEN", origin: "server" } });
    expect(client.topic("game/g1").getSnapshot().status).not.toBe("error");
    expect(server.subscribers("game/g1")).toBe(1);
    expect(server.subscribers("job/j9")).toBe(0);
  });

  it("refuses what the real server refuses: a topic outside the grammar, the canary's topic", async () => {
    const server = createFakePushServer();
    const { client } = await live(server, ["game/has space", "game/_canary"]);
    expect(client.topic("game/has space").getSnapshot().error?.code).toBe("INVALID_TOPIC");
    expect(client.topic("game/_canary").getSnapshot().error?.code).toBe("FORBIDDEN");
  });

  it("expireSessions: the next handshake is refused, the renewal too, and the client starts a new session", async () => {
    const server = createFakePushServer();
    const { client } = await live(server);
    server.expireSessions();
    server.drop();
    await server.advance(30_000);
    expect(client.getState()).toBe("live");
    expect(server.refusedHandshakes).toBeGreaterThanOrEqual(1);
    expect(server.sessions.map((session) => session.fanId)).toEqual(["fan-1", "fan-2"]);
    expect(server.requests.filter((request) => request.url.endsWith("/session")).map((request) => request.status)).toEqual([200, 401, 200]);
    expect(server.connection().fanId).toBe("fan-2");
  });

  it("advance: a token is renewed before it expires, for the same fan", async () => {
    const server = createFakePushServer({ tokenTtlMs: 5 * 60_000 });
    const { client } = await live(server);
    await server.advance(5 * 60_000);
    expect(await client.getSession()).toMatchObject({ token: server.sessions[1]!.token, fanId: "fan-1" });
    expect(server.sessions[1]!.renewed).toBe(server.sessions[0]!.token);
  });

  it("renews each token once, as pushgate does: a second renewal revokes the session", async () => {
    const server = createFakePushServer();
    const session = (bearer?: string) =>
      server.fetch(`${server.httpApiUrl}/session`, {
        method: "POST",
        headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
        body: "{}",
      });
    const first = (await (await session()).json()) as { token: string };
    const second = (await (await session(first.token)).json()) as { token: string; fanId: string };
    expect(second.fanId).toBe("fan-1");
    const again = await session(first.token);
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ error: { code: "TOKEN_ALREADY_RENEWED" } });
    expect(await (await session(second.token)).json()).toMatchObject({ error: { code: "SESSION_ENDED" } });
  });

  it("setOnline: offline closes the client (no retries burnt), online brings it back at once", async () => {
    const server = createFakePushServer();
    const { client } = await live(server);
    server.setOnline(false);
    await server.settle();
    expect(client.connection.getSnapshot()).toMatchObject({ state: "closed", reason: "offline" });
    server.setOnline(true);
    await server.settle();
    expect(client.getState()).toBe("live");
  });

  it("passes the client's frames through the server's own parser: a malformed frame is answered with an error frame", async () => {
    const server = createFakePushServer();
    await live(server);
    const session = server.sessions[0]!;
    const socket = new server.WebSocket(server.websocketUrl, ["pushgate.v1", `token.${session.token}`]);
    const answers: string[] = [];
    socket.onmessage = (event: { data: string }) => answers.push(event.data);
    await server.settle();
    socket.send(JSON.stringify({ action: "subscribe", id: "r1", topics: ["game/g1"], extra: true }));
    socket.send("not json");
    await server.settle();
    expect(answers.map((text) => JSON.parse(text).code)).toEqual(["BAD_REQUEST", "BAD_REQUEST"]);
  });

  it("delivers its frames as text the client parses: a frame that is not protocol v1 is the client's BAD_FRAME", async () => {
    const server = createFakePushServer();
    const { client, errors } = await live(server);
    server.connection().sendText(JSON.stringify({ type: "message", topic: "game/g1", seq: "one" }));
    await server.settle();
    expect(errors.map((error) => error.code)).toEqual(["BAD_FRAME"]);
    expect(client.topic("game/g1").getSnapshot().seq).toBe(0);
  });

  it("needs no real timer: it settles and advances under vitest's fake timers", async () => {
    vi.useFakeTimers();
    try {
      const server = createFakePushServer();
      const { client } = await live(server);
      server.publish("game/g1", { home: 1, away: 1 });
      await server.advance(60_000);
      expect(client.topic("game/g1").getSnapshot().seq).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("moves the app's own timers with the client's when asked (onAdvance)", async () => {
    const steps: number[] = [];
    const server = createFakePushServer({ onAdvance: (ms) => steps.push(ms) });
    await live(server);
    await server.advance(12 * 60_000);
    expect(steps.reduce((sum, ms) => sum + ms, 0)).toBe(12 * 60_000);
  });
});

/**
 * A ping's answer is any frame: the gateway's "Too Many Requests" for a ping
 * it throttled proves the socket alive, so a throttle costs no reconnect. At
 * halftime every visible page pings 30 s after the same push reached it, at
 * the push's own pace (thousands a second), over the WebSocket stage throttle;
 * a client that closed the socket over it would turn the throttle into a
 * reconnect storm. A socket that carries nothing is still found dead.
 */
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULTS } from "../src/clientApi";
import { createPushClient, type PushClient } from "../src/index";
import { createFakePushServer, type FakePushServer } from "../src/testing/index";

let client: PushClient | undefined;
afterEach(() => {
  client?.close();
  client = undefined;
});

async function live(server: FakePushServer): Promise<PushClient> {
  client = createPushClient(server.clientOptions({ topics: ["game/g1"] }));
  client.connect();
  await server.settle();
  expect(client.getState()).toBe("live");
  return client;
}

const pingsSent = (server: FakePushServer) => server.connection().receivedText.filter((text) => text.includes('"ping"')).length;

describe("a ping the gateway throttled", () => {
  it("keeps the live socket: the gateway's Too Many Requests answered it", async () => {
    const server = createFakePushServer();
    const client = await live(server);
    server.throttle();
    await server.advance(DEFAULTS.pingIntervalMs);
    expect(pingsSent(server)).toBe(1);
    await server.advance(DEFAULTS.pongTimeoutMs);
    expect(client.getState()).toBe("live");
    expect(server.connections).toHaveLength(1);

    // Still throttled 30 s later: pinged again, answered again, still the same socket.
    await server.advance(DEFAULTS.pingIntervalMs);
    expect(pingsSent(server)).toBe(2);
    server.unthrottle();
    server.publish("game/g1", { home: 1, away: 0 });
    await server.settle();
    expect(client.topic("game/g1").getSnapshot()).toMatchObject({ seq: 1, source: "push" });
    expect(client.getState()).toBe("live");
    expect(server.connections).toHaveLength(1);
  });

  it("a socket that carries nothing is still found dead by its unanswered ping", async () => {
    const server = createFakePushServer();
    const client = await live(server);
    server.stall();
    await server.advance(DEFAULTS.pingIntervalMs + DEFAULTS.pongTimeoutMs - 1);
    expect(client.getState()).toBe("live");
    await server.advance(1);
    expect(client.getState()).not.toBe("live");
  });
});

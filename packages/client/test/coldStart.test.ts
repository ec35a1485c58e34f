/**
 * A cold start does the least serial work: the first snapshots are fetched in
 * parallel with the first connect (not after a timer or a failure), a topic
 * held while polling (a game the list just named) is fetched at once, and a
 * snapshot fetched as the socket opens is shown, not dropped. Driven by the
 * testing kit: no time passes unless a test moves it, so "at once" means
 * before any timer fires.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createPushClient, type PushClient } from "../src/index";
import { createFakePushServer, type FakePushServer } from "../src/testing/index";

let client: PushClient | undefined;
afterEach(() => {
  client?.close();
  client = undefined;
});

function start(server: FakePushServer, topics: string[]): PushClient {
  client = createPushClient(server.clientOptions());
  for (const topic of topics) client.topic(topic).subscribe(() => {});
  client.connect();
  return client;
}

const snapshotUrlRequests = (server: FakePushServer) => server.requests.filter((r) => r.method === "GET" && r.url.includes("/snapshots?"));
const snapshotGets = (server: FakePushServer, topic: string) => server.requests.filter((r) => r.url.includes(`/snapshots/${topic}.json`));

describe("a cold start with WebSockets black-holed", () => {
  it("shows the held topic's snapshot while the connect hangs, before any timer fires", async () => {
    const server = createFakePushServer();
    server.publish("game/g1", { home: 7, away: 3 });
    server.refuseConnections("hang");
    const client = start(server, ["game/g1"]);
    await server.settle();
    expect(client.topic("game/g1").getSnapshot()).toMatchObject({ seq: 1, source: "snapshot", data: { home: 7, away: 3 } });
    expect(client.getState()).toBe("connecting");
    expect(server.connections).toHaveLength(1); // the socket was attempted in parallel, and hangs
  });

  it("fetches a topic held while polling at once, not at the next round (the list names a game, the game shows)", async () => {
    const server = createFakePushServer();
    server.publish("game/g1", { home: 1, away: 0 });
    server.publish("game/g2", { home: 0, away: 2 });
    server.refuseConnections("hang");
    const client = start(server, ["game/g1"]);
    await server.advance(1_000); // within the first polling interval (2 s)
    expect(client.topic("game/g1").getSnapshot().seq).toBe(1);

    client.topic("game/g2").subscribe(() => {});
    await server.settle();
    expect(client.topic("game/g2").getSnapshot()).toMatchObject({ seq: 1, data: { home: 0, away: 2 } });
    expect(snapshotGets(server, "game/g1")).toHaveLength(1); // only the new topic was fetched, the round is not rerun
  });

  it("keeps polling at the usual interval once the first snapshot is shown", async () => {
    const server = createFakePushServer();
    server.publish("game/g1", { home: 1, away: 0 });
    server.refuseConnections("hang");
    const client = start(server, ["game/g1"]);
    await server.settle();
    server.publish("game/g1", { home: 2, away: 0 });
    await server.advance(1_999);
    expect(client.topic("game/g1").getSnapshot().seq).toBe(1);
    await server.advance(1);
    expect(client.topic("game/g1").getSnapshot().seq).toBe(2);
    expect(client.getState()).toBe("connecting"); // the hanging socket has not timed out yet
  });
});

describe("a cold start with a healthy socket", () => {
  it("shows the snapshot once, at the cost of one GET /snapshots per page load, and the subscribe's resync fetches nothing again", async () => {
    const server = createFakePushServer();
    server.publish("game/g1", { home: 3, away: 1 });
    const client = start(server, ["game/g1"]);
    await server.settle();
    expect(client.getState()).toBe("live");
    expect(client.topic("game/g1").getSnapshot()).toMatchObject({ seq: 1, data: { home: 3, away: 1 } });
    expect(snapshotUrlRequests(server)).toHaveLength(1);
    // One body: a second GET, if any, is the resync's conditional one, answered 304.
    expect(snapshotGets(server, "game/g1").filter((r) => r.status === 200)).toHaveLength(1);

    server.publish("game/g1", { home: 4, away: 1 });
    await server.settle();
    expect(client.topic("game/g1").getSnapshot()).toMatchObject({ seq: 2, source: "push" });
  });

  it("shows a snapshot fetched while the socket opened at once, without waiting for the subscribe's resync", async () => {
    const server = createFakePushServer();
    server.publish("game/g1", { home: 5, away: 5 });
    // Each S3 GET of the snapshot waits until the test lets it answer; the poll's is told apart by its URL,
    // which came from GET /snapshots (the resync's came with the subscribe ack).
    const held = new Map<"poll" | "resync", () => void>();
    const signedForPolling = new Set<string>();
    const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
      if (url.includes("/snapshots/game/g1.json")) {
        await new Promise<void>((resolve) => held.set(signedForPolling.has(url) ? "poll" : "resync", resolve));
        return server.fetch(url, init);
      }
      const response = await server.fetch(url, init);
      if (url.includes("/snapshots?")) {
        const body = (await response.clone().json()) as { snapshots: { url: string }[] };
        for (const snapshot of body.snapshots) signedForPolling.add(snapshot.url);
      }
      return response;
    };
    client = createPushClient(server.clientOptions({ fetch }));
    client.topic("game/g1").subscribe(() => {});
    client.connect();
    await server.settle();
    expect(client.getState()).toBe("live"); // the poll's GET was sent before the socket opened
    expect([...held.keys()].sort()).toEqual(["poll", "resync"]);

    held.get("poll")!(); // the poll's answer arrives after polling stopped
    await server.settle();
    expect(client.topic("game/g1").getSnapshot()).toMatchObject({ seq: 1, data: { home: 5, away: 5 } });
    held.get("resync")!();
    await server.settle();
    expect(client.topic("game/g1").getSnapshot().seq).toBe(1);
  });
});

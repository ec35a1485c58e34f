import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./support/harness";

let h: Harness;
afterEach(async () => {
  await h?.dispose();
});

const MINUTE = 60_000;

describe("ping and planned reconnect", () => {
  it("pings every 5 minutes, well inside API Gateway's 10-minute idle timeout", async () => {
    h = await startHarness({ topics: ["game/g1"] });
    await h.goLive();
    const connection = h.cloud.open[0]!;
    h.clock.advance(5 * MINUTE - 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(connection.framesOf("ping")).toEqual([]);
    h.clock.advance(1);
    await h.until(() => connection.framesOf("ping").length === 1, "the first ping");
    // The pong (auto-answered) arms the next ping five minutes later.
    await h.until(() => h.clock.dueWithin(5 * MINUTE) && !h.clock.dueWithin(5 * MINUTE - 1), "the next ping timer");
    h.clock.advance(5 * MINUTE);
    await h.until(() => connection.framesOf("ping").length === 2, "the second ping");
    expect(connection.framesOf("ping").map((f) => f.id)).toEqual(["r2", "r3"]);
    expect(h.client.getState()).toBe("live");
    expect(h.cloud.connections.length).toBe(1);
  });

  it("treats a missing pong as a dead socket and reconnects", async () => {
    h = await startHarness({ topics: ["game/g1"] }, { autoPong: false });
    await h.goLive();
    const dead = h.cloud.open[0]!;
    h.clock.advance(5 * MINUTE);
    await h.until(() => dead.framesOf("ping").length === 1, "the ping");
    h.clock.advance(9_999);
    expect(h.client.getState()).toBe("live");
    h.clock.advance(1);
    expect(h.client.getState()).toBe("reconnecting");
    expect(h.errors.at(-1)).toMatchObject({ code: "PONG_TIMEOUT" });
    await h.until(() => dead.closed !== undefined, "the dead socket closed by the client");
    expect(dead.closed!.code).toBe(4000);
    h.clock.advance(h.client.connection.getSnapshot().nextRetryAt! - h.clock.now());
    await h.until(() => h.client.getState() === "live" && h.cloud.open.length === 1, "a new socket");
    await h.until(() => h.cloud.open[0]!.framesOf("subscribe").length === 1, "the resubscribe");
    expect(h.cloud.open[0]).not.toBe(dead);
  });

  it("opens a new socket at 1 h 50 min and closes the old one only once the new one is subscribed", async () => {
    h = await startHarness({ topics: ["game/g1", "queue/e7"] }, { autoAck: true });
    await h.goLive();
    const old = h.cloud.open[0]!;
    h.cloud.autoAck = false; // hold the successor's ack to see the overlap
    await h.advanceKeepingAlive(110 * MINUTE - 1);
    expect(h.cloud.connections.length).toBe(1);
    h.clock.advance(1);
    const successor = await h.until(
      () => h.cloud.connections[1]?.framesOf("subscribe")[0] && h.cloud.connections[1],
      "the successor's subscribe",
    );
    expect(successor.subscribedTopics()).toEqual(["game/g1", "queue/e7"]);
    // Both open: the old socket still delivers, the new one is not yet acknowledged.
    expect(old.closed).toBeUndefined();
    h.cloud.publish("game/g1", { home: 1, away: 0 }); // pushed on both sockets: applied once
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 1, "the push during the overlap");

    const request = successor.framesOf("subscribe")[0]!;
    successor.send({
      type: "subscribed",
      id: request.id,
      topics: request.topics.map((topic) => ({ topic, seq: h.cloud.seqOf(topic), snapshotUrl: h.cloud.signSnapshotUrl(topic) })),
    });
    await h.until(() => old.closed !== undefined, "the old socket closed");
    expect(old.closed).toEqual({ code: 1000, reason: "planned reconnect" });
    expect(h.states.map((s) => s.to)).toEqual(["connecting", "live"]); // never left live
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 1, "settled");

    // The new socket is the connection now: it carries pushes and gets its own planned reconnect.
    h.cloud.publish("game/g1", { home: 2, away: 0 });
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 2, "a push on the new socket");
    h.cloud.autoAck = true;
    await h.advanceKeepingAlive(110 * MINUTE);
    await h.until(() => h.cloud.connections.length === 3 && successor.closed !== undefined, "the next planned reconnect");
  });

  it("keeps the old socket when the planned reconnect fails, and tries again later", async () => {
    h = await startHarness({ topics: ["game/g1"] });
    await h.goLive();
    h.cloud.acceptSockets = false;
    await h.advanceKeepingAlive(110 * MINUTE);
    await h.until(() => h.cloud.refusedHandshakes.length === 1, "the refused successor");
    await h.until(() => h.errors.some((e) => e.code === "HANDSHAKE_FAILED"), "the error reported");
    expect(h.client.getState()).toBe("live");
    expect(h.cloud.open.length).toBe(1);
    h.cloud.acceptSockets = true;
    await h.until(() => h.clock.dueWithin(500), "the successor retry");
    h.clock.advance(500);
    await h.until(() => h.cloud.connections.length === 2 && h.cloud.connections[0]!.closed !== undefined, "the handover");
    expect(h.client.getState()).toBe("live");
  });
});

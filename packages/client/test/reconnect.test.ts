import { afterEach, describe, expect, it } from "vitest";
import { POLICY_VIOLATION_PREFIX } from "@pushgate/core/wire";
import { attemptAtCap, backoffCeiling, RECONNECT_BACKOFF } from "../src/backoff";
import { startHarness, type Harness } from "./support/harness";

let h: Harness;
afterEach(async () => {
  await h?.dispose();
});

describe("reconnecting", () => {
  it("resubscribes every topic after a drop and resyncs what it missed", async () => {
    h = await startHarness({ topics: ["game/g1", "queue/e7"] });
    h.cloud.publish("game/g1", { home: 1, away: 0 });
    await h.goLive();
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 1, "the first resync");

    h.cloud.open[0]!.socket.terminate();
    await h.until(() => h.client.getState() === "reconnecting", "reconnecting");
    const snapshot = h.client.connection.getSnapshot();
    expect(snapshot.nextRetryAt! - h.clock.now()).toBeLessThan(500); // the first retry: within 0.5 s
    expect(h.errors.at(-1)?.code).toBe("SOCKET_CLOSED");
    // Published while the client was away: only the resync can bring it.
    h.cloud.publish("game/g1", { home: 2, away: 0 });

    h.clock.advanceToNext();
    await h.until(() => h.client.getState() === "live" && h.cloud.open.length === 1, "live again");
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 2, "the missed score");
    expect(h.cloud.connections.length).toBe(2);
    expect(h.cloud.open[0]!.subscribedTopics()).toEqual(["game/g1", "queue/e7"]);
    expect(h.client.topic("game/g1").getSnapshot()).toMatchObject({ data: { home: 2 }, source: "snapshot" });
    expect(h.states.map((s) => s.to)).toEqual(["connecting", "live", "reconnecting", "reconnecting", "live"]);
  });

  it("backs off with full jitter while the gateway refuses, within the ceiling of each attempt", async () => {
    h = await startHarness({ topics: ["game/g1"] });
    h.cloud.acceptSockets = false;
    h.client.connect();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 9; attempt++) {
      await h.until(() => h.cloud.refusedHandshakes.length === attempt + 1, `refusal ${attempt + 1}`);
      const snapshot = await h.until(
        () => {
          const s = h.client.connection.getSnapshot();
          return s.attempt === attempt + 1 && s.nextRetryAt !== undefined ? s : undefined;
        },
        `attempt ${attempt + 1} scheduled`,
      );
      const delay = snapshot.nextRetryAt! - h.clock.now();
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(backoffCeiling(RECONNECT_BACKOFF, attempt));
      delays.push(delay);
      // Fire only the reconnect timer (polling timers are due every 2 s and would fire first).
      h.clock.advance(delay);
    }
    expect(new Set(delays).size).toBeGreaterThan(5);
    expect(Math.max(...delays.slice(6))).toBeGreaterThan(backoffCeiling(RECONNECT_BACKOFF, 4)); // grew toward the cap
    expect(h.client.getState()).toBe("polling");
  });

  it("resets the backoff only after a connection stayed live, not on every open", async () => {
    h = await startHarness({ topics: ["game/g1"], stableAfterMs: 10_000 });
    await h.goLive();
    // A server that accepts and drops at once: the attempt count keeps growing.
    for (let drop = 1; drop <= 3; drop++) {
      h.cloud.open[0]!.socket.terminate();
      await h.until(() => h.client.connection.getSnapshot().attempt === drop && h.client.getState() !== "live", `drop ${drop}`);
      h.clock.advance(h.client.connection.getSnapshot().nextRetryAt! - h.clock.now());
      await h.until(() => h.client.getState() === "live" && h.cloud.open.length === 1, `live after drop ${drop}`);
    }
    expect(h.client.connection.getSnapshot().attempt).toBe(3);
    h.clock.advance(10_000);
    expect(h.client.connection.getSnapshot()).toMatchObject({ state: "live", attempt: 0 });
  });

  it("after a policy-violation close (rate limited, then DeleteConnection) waits the backoff's cap instead of 0.5 s", async () => {
    h = await startHarness({ topics: ["game/g1"], stableAfterMs: 10_000 });
    await h.goLive();
    h.clock.advance(10_000); // a stable connection: a plain drop would retry within 0.5 s
    const server = h.cloud.open[0]!;
    server.send({
      type: "error",
      code: "RATE_LIMITED",
      message: `${POLICY_VIOLATION_PREFIX}: too many frames after being rate limited; this connection is closed`,
    });
    await h.until(() => h.errors.some((error) => error.code === "RATE_LIMITED"), "the policy frame");
    server.socket.close(1000);
    const snapshot = await h.until(() => {
      const s = h.client.connection.getSnapshot();
      return s.state !== "live" && s.nextRetryAt !== undefined ? s : undefined;
    }, "the retry scheduled");
    expect(snapshot.attempt).toBe(attemptAtCap(RECONNECT_BACKOFF) + 1);
    expect(backoffCeiling(RECONNECT_BACKOFF, snapshot.attempt - 1)).toBe(RECONNECT_BACKOFF.capMs);
    expect(snapshot.state).toBe("polling");
  });

  it("does not burn retries offline and reconnects at once when back online", async () => {
    h = await startHarness({ topics: ["game/g1"] });
    await h.goLive();
    await h.until(() => h.cloud.snapshotGets.length === 1, "the first connect's poll (a 404: nothing published)");
    h.online.set(false);
    expect(h.client.connection.getSnapshot()).toMatchObject({ state: "closed", reason: "offline", attempt: 0 });
    await h.until(() => h.cloud.open.length === 0, "the socket closed");
    h.clock.advance(10 * 60_000);
    expect(h.clock.nextDueAt()).toBeUndefined(); // no retry, no poll, no ping
    expect(h.cloud.connections.length).toBe(1);
    expect(h.cloud.snapshotGets.length).toBe(1);

    h.online.set(true); // no timer advanced: immediately
    expect(h.client.getState()).toBe("connecting");
    await h.until(() => h.client.getState() === "live" && h.cloud.open[0]?.framesOf("subscribe").length === 1, "live again");
    expect(h.cloud.open[0]!.subscribedTopics()).toEqual(["game/g1"]);
    expect(h.client.connection.getSnapshot().attempt).toBe(0);
  });

  it("starts closed/offline when connect() is called offline, and stays closed after close()", async () => {
    h = await startHarness({ topics: ["game/g1"] });
    h.online.set(false);
    h.client.connect();
    expect(h.client.connection.getSnapshot()).toMatchObject({ state: "closed", reason: "offline" });
    h.online.set(true);
    await h.until(() => h.client.getState() === "live", "live once online");
    h.client.close();
    expect(h.client.connection.getSnapshot()).toMatchObject({ state: "closed", reason: "client" });
    h.online.set(false);
    h.online.set(true);
    expect(h.client.getState()).toBe("closed");
    expect(h.clock.nextDueAt()).toBeUndefined();
  });
});

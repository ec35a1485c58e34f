import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./support/harness";

let h: Harness;
afterEach(async () => {
  await h?.dispose();
});

/** Fire only the client's next poll (2 s) without reaching the socket retry. */
async function nextPoll(h: Harness, getsBefore: number): Promise<void> {
  await h.until(() => h.clock.dueWithin(2_000), "the poll timer");
  h.clock.advance(2_000);
  await h.until(() => h.cloud.snapshotGets.length > getsBefore, "the next poll");
}

describe("snapshot polling while the socket is down", () => {
  it("polls snapshots while the gateway is down, with ETags, and goes back to live push when it returns", async () => {
    h = await startHarness({ topics: ["game/g1"], reconnect: { baseMs: 60_000, capMs: 60_000 }, random: () => 0.9 });
    h.cloud.publish("game/g1", { home: 3, away: 1 });
    h.cloud.acceptSockets = false;
    h.client.connect();

    // Polling starts with the first connect; URLs come from GET /snapshots with the fan token.
    await h.until(() => h.client.getState() === "polling", "polling");
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 1, "the first poll");
    expect(h.client.topic("game/g1").getSnapshot()).toMatchObject({ data: { home: 3, away: 1 }, source: "snapshot" });
    expect(h.cloud.snapshotUrlRequests).toEqual([{ topics: ["game/g1"], authorization: "Bearer tok-1" }]);
    expect(h.client.connection.getSnapshot().nextRetryAt).toBeGreaterThan(h.clock.now());

    // Unchanged: a conditional GET answered 304, and the store is not touched.
    const before = h.client.topic("game/g1").getSnapshot();
    await nextPoll(h, 1);
    expect(h.cloud.snapshotGets[1]).toEqual({ topic: "game/g1", ifNoneMatch: '"game/g1-1"', status: 304 });
    expect(h.client.topic("game/g1").getSnapshot()).toBe(before);

    // A new score reaches the fan through S3 alone.
    h.cloud.publish("game/g1", { home: 4, away: 1 });
    await nextPoll(h, 2);
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 2, "the polled score");
    expect(h.cloud.snapshotGets[2]!.status).toBe(200);
    expect(h.cloud.snapshotUrlRequests.length).toBe(1); // the URL is reused

    // The gateway is back: the background retry goes live and polling stops.
    h.cloud.acceptSockets = true;
    h.clock.advance(h.client.connection.getSnapshot().nextRetryAt! - h.clock.now());
    await h.until(() => h.client.getState() === "live", "live again");
    // The refused handshake renewed the token for the retry, once (a browser cannot tell 401 from 503), keeping the fan id.
    expect(h.cloud.sessions.map((s) => [s.authorization, s.fanId])).toEqual([
      [undefined, "fan-1"],
      ["Bearer tok-1", "fan-1"],
    ]);
    const gets = h.cloud.snapshotGets.length;
    h.clock.advance(60_000);
    await h.until(() => h.cloud.open[0]?.framesOf("subscribe").length === 1, "the subscribe");
    expect(h.cloud.snapshotGets.length).toBe(gets);
    expect(h.states.map((s) => s.to).filter((to, i, all) => to !== all[i - 1])).toEqual(["connecting", "polling", "live"]);

    // And pushes flow again.
    h.cloud.publish("game/g1", { home: 5, away: 1 });
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 3, "the pushed score");
    expect(h.client.topic("game/g1").getSnapshot().source).toBe("push");
  });

  it("signs new URLs when S3 says the presigned one expired (403)", async () => {
    h = await startHarness({ topics: ["game/g1"], reconnect: { baseMs: 60_000, capMs: 60_000 }, random: () => 0.9 });
    h.cloud.publish("game/g1", { home: 1, away: 0 });
    h.cloud.acceptSockets = false;
    h.client.connect();
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 1, "the first poll");
    h.cloud.expireSignedUrls();
    h.cloud.publish("game/g1", { home: 2, away: 0 });
    await nextPoll(h, 1);
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 2, "the score after re-signing");
    expect(h.cloud.snapshotGets.slice(1).map((g) => g.status)).toEqual([403, 200]);
    expect(h.cloud.snapshotUrlRequests.length).toBe(2);
    expect(h.errors.filter((e) => e.code.startsWith("SNAPSHOT"))).toEqual([]);
  });

  it("backs off its polling interval while snapshot requests fail, and recovers", async () => {
    h = await startHarness({ topics: ["game/g1"], reconnect: { baseMs: 600_000, capMs: 600_000 }, random: () => 0.9 });
    h.cloud.acceptSockets = false;
    h.cloud.failSnapshotUrls = true; // the HTTP API is down too: every round fails
    h.client.connect();
    // The first round (with the connect) failed and so did the socket: the poll timer is the only one left.
    await h.until(
      () => h.client.getState() === "polling" && h.errors.some((e) => e.code === "SNAPSHOT_URLS_FAILED"),
      "the first round and the refused socket",
    );
    expect(h.cloud.snapshotUrlRequests.length).toBe(1);
    const gaps: number[] = [];
    for (let round = 2; round <= 7; round++) {
      await h.until(() => h.clock.dueWithin(30_000), `the poll timer of round ${round}`);
      const at = h.clock.now();
      h.clock.advanceToNext();
      gaps.push(h.clock.now() - at);
      await h.until(() => h.cloud.snapshotUrlRequests.length === round, `round ${round}`);
    }
    expect(h.errors.filter((e) => e.code === "SNAPSHOT_URLS_FAILED").length).toBeGreaterThanOrEqual(6);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(2_000);
      expect(gap).toBeLessThanOrEqual(30_000);
    }
    // 2 s + 0.9 * min(28 s, 2 s * 2^n): it backs off, up to the 30 s cap.
    expect(gaps).toEqual([3_800, 5_600, 9_200, 16_400, 27_200, 27_200]);

    // Recovery: the next good round puts the interval back to 2 s.
    h.cloud.failSnapshotUrls = false;
    await h.until(() => h.clock.dueWithin(30_000), "the poll timer");
    h.clock.advanceToNext();
    await h.until(() => h.cloud.snapshotUrlRequests.length === 8, "a good round");
    await h.until(() => h.clock.nextDueAt() !== undefined && h.clock.nextDueAt()! - h.clock.now() <= 2_000, "the 2 s interval");
    expect(h.clock.nextDueAt()! - h.clock.now()).toBe(2_000);
  });
});

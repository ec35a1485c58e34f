/**
 * Honest liveness: a silent socket is found out within 45 s while the page is
 * visible (and rarely pinged while hidden), the page coming back checks at
 * once, a socket slow to open or to come back does not leave the topics
 * without data, "Retry now" retries now, and the client says how current its data is.
 */
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULTS } from "../src/clientApi";
import type { VisibilityEvent, VisibilitySource } from "../src/environment";
import { startHarness, type Harness } from "./support/harness";

let h: Harness;
afterEach(async () => {
  await h?.dispose();
});

/** The page's visibility, driven by the test. */
class ManualVisibility implements VisibilitySource {
  private visible: boolean;
  private readonly listeners = new Set<(event: VisibilityEvent) => void>();
  constructor(visible = true) {
    this.visible = visible;
  }
  isVisible = () => this.visible;
  subscribe(listener: (event: VisibilityEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: VisibilityEvent): void {
    if (event !== "resume") this.visible = event === "visible";
    for (const listener of this.listeners) listener(event);
  }
}

/** The shipped cadence (the harness slows it for tests that are not about liveness). */
const SHIPPED_CADENCE = { pingIntervalMs: DEFAULTS.pingIntervalMs };
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Resolves once `count` pongs have come back over the real socket (before virtual time may move past their deadline). */
function pongs(h: Harness): (count: number) => Promise<void> {
  let received = 0;
  h.client.on("pong", () => {
    received++;
    h.cloud.changed(); // re-check waiting `until`s: the harness's own listener ran before this count
  });
  return (count) => h.until(() => received >= count, `pong ${count}`).then(() => undefined);
}

describe("a silent socket", () => {
  it("is noticed within 45 s while the page is visible: a ping after 30 s of silence, dead 10 s later without its pong", async () => {
    h = await startHarness({ topics: ["game/g1"], ...SHIPPED_CADENCE });
    await h.goLive();
    const liveSince = h.clock.now();
    const socket = h.cloud.open[0]!;
    socket.stalled = true; // open, nothing flowing: a NAT timeout, a phone waking up

    h.clock.advance(29_999);
    await settle();
    expect(socket.framesOf("ping")).toEqual([]);
    h.clock.advance(1);
    await h.until(() => socket.framesOf("ping").length === 1, "the ping after 30 s of silence");
    h.clock.advance(9_999);
    expect(h.client.getState()).toBe("live");
    h.clock.advance(1);
    expect(h.client.getState()).toBe("reconnecting");
    expect(h.errors.at(-1)).toMatchObject({ code: "PONG_TIMEOUT" });
    expect(h.clock.now() - liveSince).toBeLessThanOrEqual(45_000);
  });

  it("costs no ping while pushes arrive, yet pings at least every 5 minutes (API Gateway's idle timeout)", async () => {
    h = await startHarness({ topics: ["game/g1"], ...SHIPPED_CADENCE });
    const pongsReceived = pongs(h);
    await h.goLive();
    const socket = h.cloud.open[0]!;
    const start = h.clock.now();
    let seq = 0;
    const pushAfter = async (ms: number) => {
      h.clock.advance(ms);
      h.cloud.publish("game/g1", { home: ++seq, away: 0 });
      await h.until(() => h.client.topic("game/g1").getSnapshot().seq === seq, `push ${seq}`);
    };
    await pushAfter(20_000);
    h.clock.advance(10_000); // 30 s after going live, but only 10 s after the push
    await settle();
    expect(socket.framesOf("ping")).toEqual([]);
    h.clock.advance(20_000);
    await h.until(() => socket.framesOf("ping").length === 1, "the ping 30 s after the push");
    await pongsReceived(1);
    const firstPingAt = h.clock.now();

    // A busy game: a push every 20 s never lets 30 s of silence pass, but the keep-alive still goes out.
    while (h.clock.now() + 20_000 < firstPingAt + DEFAULTS.hiddenPingIntervalMs) await pushAfter(20_000);
    expect(socket.framesOf("ping").length).toBe(1);
    h.clock.advance(firstPingAt + DEFAULTS.hiddenPingIntervalMs - h.clock.now());
    await h.until(() => socket.framesOf("ping").length === 2, "the keep-alive ping");
    expect(h.clock.now() - start).toBe(50_000 + 5 * 60_000);
  });

  it("is pinged every 5 minutes while the page is hidden, and at once when the page comes back", async () => {
    const visibility = new ManualVisibility(false);
    h = await startHarness({ topics: ["game/g1"], ...SHIPPED_CADENCE, visibility });
    const pongsReceived = pongs(h);
    await h.goLive();
    const socket = h.cloud.open[0]!;
    h.clock.advance(DEFAULTS.hiddenPingIntervalMs - 1);
    await settle();
    expect(socket.framesOf("ping")).toEqual([]);
    h.clock.advance(1);
    await h.until(() => socket.framesOf("ping").length === 1, "the hidden page's ping");
    await pongsReceived(1);

    socket.stalled = true;
    h.clock.advance(60_000);
    visibility.emit("visible");
    await h.until(() => socket.framesOf("ping").length === 2, "the ping on becoming visible");
    h.clock.advance(DEFAULTS.pongTimeoutMs);
    expect(h.client.getState()).toBe("reconnecting");
  });

  it("is checked at once when the page resumes and when the network comes back", async () => {
    const visibility = new ManualVisibility(true);
    h = await startHarness({ topics: ["game/g1"], ...SHIPPED_CADENCE, visibility });
    const pongsReceived = pongs(h);
    await h.goLive();
    const socket = h.cloud.open[0]!;
    visibility.emit("resume");
    await h.until(() => socket.framesOf("ping").length === 1, "the ping on resume");
    await pongsReceived(1);
    h.online.set(true); // Wi-Fi to cellular: `online` fires while the old socket still looks open
    await h.until(() => socket.framesOf("ping").length === 2, "the ping on online");
    expect(h.client.getState()).toBe("live");
  });
});

describe("topics stay fresh while no socket is live", () => {
  it("polls the snapshots at once on a first connect that hangs, not only after the 15 s connect timeout", async () => {
    h = await startHarness({ topics: ["game/g1"] });
    h.client.freshness.subscribe(() => h.cloud.changed());
    h.cloud.publish("game/g1", { home: 7, away: 3 });
    h.cloud.hangHandshakes = true; // WebSockets black-holed
    h.client.connect();
    const connectedAt = h.clock.now();
    await h.until(() => h.cloud.hungHandshakes === 1, "the hanging handshake");
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 1, "the polled score");
    expect(h.clock.now()).toBe(connectedAt); // no timer had to fire: fetched in parallel with the connect
    expect(h.client.topic("game/g1").getSnapshot()).toMatchObject({ data: { home: 7, away: 3 }, source: "snapshot" });
    expect(h.client.getState()).toBe("connecting");
    await h.until(() => h.client.freshness.getSnapshot().confirmedAt === h.clock.now(), "the round confirming the data");
  });

  it("does not poll when a retry after a drop opens within the grace period (a reconnect storm costs no snapshot round)", async () => {
    h = await startHarness({ topics: ["game/g1"] });
    await h.goLive();
    // The first connect's fetch in parallel (nothing published yet: a 404), then no other.
    await h.until(() => h.cloud.snapshotGets.length === 1, "the first connect's poll");
    const urlRequests = h.cloud.snapshotUrlRequests.length;
    h.cloud.open[0]!.socket.terminate();
    await h.until(() => h.client.getState() === "reconnecting", "reconnecting");
    h.clock.advance(500); // the first retry comes within 0.5 s, and opens
    await h.until(() => h.client.getState() === "live" && h.acks === 2, "live again, resubscribed");
    h.clock.advance(60_000);
    await settle();
    expect(h.cloud.snapshotUrlRequests.length).toBe(urlRequests);
    expect(h.cloud.snapshotGets.length).toBe(1);
  });

  it("polls while reconnecting after a drop when the retry hangs", async () => {
    h = await startHarness({ topics: ["game/g1"] });
    await h.goLive();
    h.cloud.hangHandshakes = true;
    h.cloud.open[0]!.socket.terminate();
    await h.until(() => h.client.getState() === "reconnecting", "reconnecting");
    h.cloud.publish("game/g1", { home: 2, away: 1 }); // nobody to push it to
    h.clock.advance(1_000); // the retry (within 0.5 s) hangs; the grace is over
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 1, "the polled score");
    expect(h.client.getState()).toBe("reconnecting");
  });
});

describe("retrying now", () => {
  const slowBackoff = { reconnect: { baseMs: 60_000, capMs: 60_000 }, random: () => 0.9 };

  it("reconnectNow() runs the waiting retry at once instead of at the end of its backoff", async () => {
    h = await startHarness({ topics: ["game/g1"], ...slowBackoff });
    h.cloud.acceptSockets = false;
    h.client.connect();
    await h.until(() => h.client.getState() === "polling", "polling");
    expect(h.client.connection.getSnapshot().nextRetryAt! - h.clock.now()).toBeGreaterThan(30_000);
    h.cloud.acceptSockets = true;
    h.client.reconnectNow();
    await h.until(() => h.client.getState() === "live", "live without waiting");
  });

  it("the page becoming visible runs the waiting retry at once", async () => {
    const visibility = new ManualVisibility(false);
    h = await startHarness({ topics: ["game/g1"], ...slowBackoff, visibility });
    h.cloud.acceptSockets = false;
    h.client.connect();
    await h.until(() => h.client.getState() === "polling", "polling");
    h.cloud.acceptSockets = true;
    visibility.emit("visible");
    await h.until(() => h.client.getState() === "live", "live on becoming visible");
  });

  it("reconnectNow() after close() starts again", async () => {
    h = await startHarness({ topics: ["game/g1"] });
    await h.goLive();
    h.client.close();
    h.client.reconnectNow();
    await h.until(() => h.client.getState() === "live", "live again");
  });
});

describe("how current the data is", () => {
  it("is confirmed by frames on a live socket and by polling rounds that succeed, not by failing ones", async () => {
    h = await startHarness({ topics: ["game/g1"], ...SHIPPED_CADENCE });
    h.client.freshness.subscribe(() => h.cloud.changed());
    expect(h.client.freshness.getSnapshot().confirmedAt).toBeUndefined();
    await h.goLive();
    expect(h.client.freshness.getSnapshot().confirmedAt).toBe(h.clock.now());
    h.clock.advance(12_000);
    h.cloud.publish("game/g1", { home: 1, away: 0 });
    await h.until(() => h.client.freshness.getSnapshot().confirmedAt === h.clock.now(), "the push confirming");

    // The socket stalls: nothing confirms the data until polling does.
    h.cloud.open[0]!.stalled = true;
    h.cloud.acceptSockets = false;
    h.cloud.expireSignedUrls(); // the ack's URL is refused, and signing new ones fails
    h.cloud.failSnapshotUrls = true;
    const lastConfirmed = h.clock.now();
    h.clock.advance(DEFAULTS.pingIntervalMs + DEFAULTS.pongTimeoutMs);
    expect(h.client.getState()).toBe("reconnecting");
    h.clock.advance(5_000);
    await h.until(() => h.errors.some((e) => e.code === "SNAPSHOT_URLS_FAILED"), "a failing round");
    expect(h.client.freshness.getSnapshot().confirmedAt).toBe(lastConfirmed);
    h.cloud.failSnapshotUrls = false;
    // The next round comes after a jittered backoff, armed only once the failed round has finished.
    for (let waited = 0; waited < 30_000 && h.client.freshness.getSnapshot().confirmedAt === lastConfirmed; waited += 1_000) {
      h.clock.advance(1_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await h.until(() => h.client.freshness.getSnapshot().confirmedAt! > lastConfirmed, "a round that succeeded");
  });
});

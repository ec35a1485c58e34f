import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./support/harness";

let h: Harness;
afterEach(async () => {
  await h?.dispose();
});

describe("WebSocket transport against a fake server on real ws sockets", () => {
  it("offers pushgate.v1 and the token subprotocols, then subscribes every topic in one frame", async () => {
    h = await startHarness({ topics: ["game/g1", "queue/e7"] });
    await h.goLive();
    const [connection] = h.cloud.connections;
    expect(connection!.offeredProtocols).toEqual(["pushgate.v1", `token.${h.cloud.sessions[0]!.token}`]);
    expect(h.cloud.sessions[0]!.authorization).toBeUndefined(); // the first session is anonymous
    expect(connection!.framesOf("subscribe")).toEqual([{ action: "subscribe", id: "r1", topics: ["game/g1", "queue/e7"] }]);
    expect(h.states.map((s) => s.to)).toEqual(["connecting", "live"]);
  });

  it("applies pushed messages in seq order and drops duplicates and older seqs", async () => {
    h = await startHarness({ topics: ["game/g1"] });
    await h.goLive();
    const connection = h.cloud.open[0]!;
    const stale: number[] = [];
    h.client.on("stale", (event) => stale.push(event.frame.seq));
    const frame = (seq: number, home: number) => ({
      type: "message",
      topic: "game/g1",
      seq,
      kind: "score-update",
      data: { home, away: 0 },
      ts: "2026-11-22T12:00:00.000Z",
    });
    for (const [seq, home] of [
      [5, 7],
      [5, 7],
      [4, 3],
      [6, 10],
    ] as const)
      connection.send(frame(seq, home));
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 6 && stale.length === 2, "seq 6 applied");
    expect(stale).toEqual([5, 4]);
    expect(h.client.topic("game/g1").getSnapshot()).toMatchObject({ data: { home: 10 }, source: "push", kind: "score-update" });
  });

  it("resyncs from the snapshot when the ack's seq is newer than what it has", async () => {
    h = await startHarness({ topics: ["game/g1"] });
    h.cloud.publish("game/g1", { home: 1, away: 0 });
    h.cloud.publish("game/g1", { home: 2, away: 0 });
    await h.goLive();
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 2, "the resync");
    expect(h.client.topic("game/g1").getSnapshot()).toMatchObject({ data: { home: 2 }, source: "snapshot" });
    expect(h.cloud.snapshotGets).toEqual([{ topic: "game/g1", ifNoneMatch: undefined, status: 200 }]);
  });

  it("does not fetch the snapshot when the ack's seq is not newer", async () => {
    // No polling: the first connect fetches the snapshots in parallel; this is about the resync alone.
    h = await startHarness({ topics: ["game/g1"], polling: false });
    await h.goLive(); // seq 0: nothing published
    expect(h.cloud.snapshotGets).toEqual([]);
  });

  it("retries a resync whose snapshot still lags the ack's seq", async () => {
    h = await startHarness({ topics: ["game/g1"] });
    h.cloud.publish("game/g1", { home: 1, away: 0 });
    h.cloud.bumpSeqOnly("game/g1"); // seq 2 written to the table; the fan-out has not written S3 yet
    await h.goLive();
    await h.until(() => h.cloud.snapshotGets.length === 1 && h.client.topic("game/g1").getSnapshot().seq === 1, "the first resync");
    h.cloud.publish("game/g1", { home: 3, away: 0 }, { push: false }); // snapshot seq 3 lands
    h.clock.advance(1_000);
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 3, "the retried resync");
    expect(h.cloud.snapshotGets.map((g) => g.status)).toEqual([200, 200]);
  });

  it("a refusal is per topic, in the ack: the refused topics' stores show it, nothing is sent again one by one", async () => {
    h = await startHarness({ topics: ["game/g1"] }, { autoAck: false });
    h.client.connect();
    const first = await h.until(() => h.cloud.open[0]?.framesOf("subscribe")[0], "the subscribe frame");
    h.cloud.open[0]!.send({
      type: "subscribed",
      id: first.id,
      topics: [{ topic: "game/g1", seq: 0, snapshotUrl: h.cloud.signSnapshotUrl("game/g1") }],
    });
    const release = h.client.subscribe(["job/j1", "job/j2", "job/j3"]);
    const triple = await h.until(() => h.cloud.open[0]!.framesOf("subscribe")[1], "the second subscribe");
    expect(triple.topics).toEqual(["job/j1", "job/j2", "job/j3"]);
    h.cloud.open[0]!.send({
      type: "subscribed",
      id: triple.id,
      topics: [{ topic: "job/j1", seq: 0, snapshotUrl: h.cloud.signSnapshotUrl("job/j1") }],
      refused: [
        { topic: "job/j2", code: "FORBIDDEN", message: "not your job" },
        { topic: "job/j3", code: "FORBIDDEN", message: "not your job" },
      ],
    });
    await h.until(() => h.client.topic("job/j3").getSnapshot().status === "error", "job/j3 marked refused");
    expect(h.client.topic("job/j2").getSnapshot()).toMatchObject({ status: "error", error: { code: "FORBIDDEN", topic: "job/j2" } });
    expect(h.client.topic("job/j1").getSnapshot().status).toBe("pending");
    expect(h.errors.filter((e) => e.origin === "server").map((e) => e.code)).toEqual(["FORBIDDEN"]);

    // A request refused as a whole (an older server, or the frame itself was wrong): every topic of it shows the error.
    h.client.subscribe(["job/j4", "job/j5"]);
    const pair = await h.until(() => h.cloud.open[0]!.framesOf("subscribe")[2], "the third subscribe");
    h.cloud.open[0]!.send({ type: "error", id: pair.id, code: "BAD_REQUEST", message: "a connection may hold at most 50 topics" });
    await h.until(() => h.client.topic("job/j5").getSnapshot().status === "error", "job/j5 marked refused");
    expect(h.client.topic("job/j4").getSnapshot()).toMatchObject({ status: "error", error: { code: "BAD_REQUEST" } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.cloud.open[0]!.framesOf("subscribe")).toHaveLength(3);
    expect(h.client.getState()).toBe("live");

    // After a reconnect only the topics still held are asked for.
    h.cloud.autoAck = true;
    h.cloud.open[0]!.socket.terminate();
    await h.until(() => h.client.getState() === "reconnecting", "the drop");
    h.clock.advanceToNext();
    await h.until(() => h.cloud.open.length === 1 && h.cloud.open[0]!.framesOf("subscribe").length === 1, "the resubscribe");
    expect(h.cloud.open[0]!.subscribedTopics()).toEqual(["game/g1", "job/j1"]);
    release();
  });

  it("a subscribe with no answer by its deadline shows REQUEST_TIMEOUT on its store and is sent again; the ack clears it", async () => {
    h = await startHarness({ topics: ["game/g1"], requestTimeoutMs: 30_000, pingIntervalMs: 10 * 60_000 }, { autoAck: false });
    h.client.connect();
    const first = await h.until(() => h.cloud.open[0]?.framesOf("subscribe")[0], "the subscribe frame");
    h.clock.advance(30_000);
    expect(h.client.topic("game/g1").getSnapshot()).toMatchObject({ status: "error", error: { code: "REQUEST_TIMEOUT" } });
    h.clock.advanceToNext();
    const again = await h.until(() => h.cloud.open[0]!.framesOf("subscribe")[1], "the resent subscribe");
    expect(again.topics).toEqual(first.topics);
    expect(again.id).not.toBe(first.id);
    h.cloud.open[0]!.send({
      type: "subscribed",
      id: again.id,
      topics: [{ topic: "game/g1", seq: 0, snapshotUrl: h.cloud.signSnapshotUrl("game/g1") }],
    });
    await h.until(() => h.client.topic("game/g1").getSnapshot().status === "pending", "the error cleared");
  });

  it("a frame that is not protocol v1 while a subscribe waits (API Gateway's Internal server error) fails it, and it is sent again", async () => {
    h = await startHarness({ topics: ["game/g1"] }, { autoAck: false });
    h.client.connect();
    await h.until(() => h.cloud.open[0]?.framesOf("subscribe")[0], "the subscribe frame");
    h.cloud.open[0]!.send({ message: "Internal server error", connectionId: "abc=", requestId: "req-1" });
    await h.until(() => h.client.topic("game/g1").getSnapshot().status === "error", "the topic marked failed");
    expect(h.errors.map((e) => e.code)).toEqual(["BAD_FRAME", "BAD_FRAME"]);
    h.clock.advanceToNext();
    await h.until(() => h.cloud.open[0]!.framesOf("subscribe").length === 2, "the resent subscribe");
  });

  it("GET /snapshots refuses per topic: the refused topic's store shows it, the others are polled", async () => {
    h = await startHarness({ topics: ["game/g1", "job/theirs"] });
    h.cloud.forbiddenTopics.add("job/theirs");
    h.cloud.acceptSockets = false;
    h.cloud.publish("game/g1", { home: 1, away: 0 }, { push: false });
    h.client.connect();
    await h.until(() => h.client.topic("game/g1").getSnapshot().seq === 1, "game/g1 polled");
    expect(h.client.topic("job/theirs").getSnapshot()).toMatchObject({ status: "error", error: { code: "FORBIDDEN" } });
  });

  it("a subscribe is not sent while an unsubscribe of the same topic is unanswered (a remount after the release went out)", async () => {
    h = await startHarness({ pingIntervalMs: 1_000 });
    await h.goLive(false);
    const store = h.client.topic("game/g9");
    const stop = store.subscribe(() => {});
    await h.until(() => h.acks === 1, "the first ack");
    h.cloud.autoUnsubscribed = false;
    stop();
    const unsubscribe = await h.until(() => h.cloud.open[0]!.framesOf("unsubscribe")[0], "the unsubscribe");
    const again = store.subscribe(() => {});
    // A ping and its pong after it: frames on a socket arrive in order, so a subscribe sent now has arrived by then.
    await h.advanceKeepingAlive(1_000, 1_000);
    // Sent now, the two frames would be two invocations racing: the subscribe could be applied first and then undone.
    expect(h.cloud.open[0]!.framesOf("subscribe")).toHaveLength(1);
    h.cloud.open[0]!.send({ type: "unsubscribed", id: unsubscribe.id, topics: ["game/g9"] });
    await h.until(() => h.cloud.open[0]!.framesOf("subscribe").length === 2, "the subscribe, after the unsubscribe's answer");
    await h.until(() => h.acks === 2, "its ack");
    again();
  });

  it("reports a frame that is not protocol v1 and keeps the socket", async () => {
    h = await startHarness({ topics: ["game/g1"] });
    await h.goLive();
    h.cloud.open[0]!.sendRaw("not json");
    h.cloud.open[0]!.send({ type: "mystery" });
    await h.until(() => h.errors.length === 2, "two BAD_FRAME errors");
    expect(h.errors.map((e) => e.code)).toEqual(["BAD_FRAME", "BAD_FRAME"]);
    expect(h.client.getState()).toBe("live");
  });

  it("subscribes a topic when its store gets a listener and unsubscribes when the last one leaves", async () => {
    h = await startHarness();
    await h.goLive(false);
    const store = h.client.topic("game/g9");
    expect(h.client.topic("game/g9")).toBe(store); // stable for React
    const stopA = store.subscribe(() => {});
    const stopB = store.subscribe(() => {});
    await h.until(() => h.cloud.open[0]!.framesOf("subscribe").length === 1, "the subscribe");
    stopA();
    await Promise.resolve();
    stopB();
    // A remount in the same tick holds it again: no unsubscribe goes out.
    const stopC = store.subscribe(() => {});
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.cloud.open[0]!.framesOf("unsubscribe")).toEqual([]);
    stopC();
    await h.until(() => h.cloud.open[0]!.framesOf("unsubscribe").length === 1, "the unsubscribe");
    expect(h.cloud.open[0]!.framesOf("unsubscribe")[0]!.topics).toEqual(["game/g9"]);
    expect(h.cloud.open[0]!.framesOf("subscribe").length).toBe(1);
  });
});

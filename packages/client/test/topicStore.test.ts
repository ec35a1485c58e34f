import type { MessageFrame } from "@pushgate/core/wire";
import { describe, expect, it } from "vitest";
import { TopicStores } from "../src/topicStore";

const score = (seq: number, home: number): MessageFrame => ({
  type: "message",
  topic: "game/g1",
  seq,
  kind: "score-update",
  data: { home, away: 0 },
  ts: "2026-11-22T12:00:00.000Z",
});

describe("topic stores", () => {
  it("applies a frame only when its seq is above the last applied one", () => {
    const stores = new TopicStores();
    expect(stores.apply(score(1, 7), "push")).toEqual({ applied: true });
    expect(stores.apply(score(3, 14), "push")).toEqual({ applied: true });
    expect(stores.apply(score(2, 10), "push")).toEqual({ applied: false, lastSeq: 3 });
    expect(stores.apply(score(3, 99), "snapshot")).toEqual({ applied: false, lastSeq: 3 });
    const snapshot = stores.store("game/g1").getSnapshot();
    expect(snapshot).toMatchObject({ status: "ready", seq: 3, data: { home: 14, away: 0 }, source: "push" });
  });

  it("keeps the snapshot object stable until it changes, and tells subscribers of each change", () => {
    const stores = new TopicStores();
    const store = stores.store("game/g1");
    const first = store.getSnapshot();
    expect(store.getSnapshot()).toBe(first);
    expect(first).toMatchObject({ status: "pending", seq: 0, data: undefined });
    let calls = 0;
    const unsubscribe = store.subscribe(() => calls++);
    stores.apply(score(1, 7), "snapshot");
    stores.apply(score(1, 7), "push"); // a duplicate changes nothing
    expect(calls).toBe(1);
    const second = store.getSnapshot();
    expect(second).not.toBe(first);
    expect(second.source).toBe("snapshot");
    unsubscribe();
    stores.apply(score(2, 8), "push");
    expect(calls).toBe(1);
  });

  it("keeps the data of a topic the server refused, and clears the error when asked again", () => {
    const stores = new TopicStores();
    stores.apply(score(4, 1), "push");
    stores.fail("game/g1", { origin: "server", code: "FORBIDDEN", message: "no" });
    expect(stores.store("game/g1").getSnapshot()).toMatchObject({ status: "error", seq: 4, error: { code: "FORBIDDEN" } });
    stores.clearError("game/g1");
    expect(stores.store("game/g1").getSnapshot()).toMatchObject({ status: "ready", seq: 4, error: undefined });
  });
});

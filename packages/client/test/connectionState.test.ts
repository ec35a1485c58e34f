import { describe, expect, it } from "vitest";
import { ConnectionStateMachine, type StateChange } from "../src/connectionState";

describe("connection state machine", () => {
  it("starts closed and emits exactly one change per setState that changes something", () => {
    let now = 1_000;
    const changes: StateChange[] = [];
    const machine = new ConnectionStateMachine({ now: () => now }, (change) => changes.push(change));
    expect(machine.snapshot).toMatchObject({ state: "closed", attempt: 0, reason: undefined });

    machine.setState("connecting", { attempt: 0 });
    machine.setState("connecting", { attempt: 0 }); // nothing changed: no event
    now = 2_000;
    machine.setState("polling", { attempt: 1, nextRetryAt: 2_400 });
    now = 2_400;
    machine.setState("polling", { attempt: 1 }); // the retry is under way: details change, state does not
    machine.setState("live", { attempt: 1 });

    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual([
      "closed->connecting",
      "connecting->polling",
      "polling->polling",
      "polling->live",
    ]);
    expect(changes[1]!.connection).toMatchObject({ nextRetryAt: 2_400, since: 2_000 });
    // `since` is when the state was entered, not when details last changed.
    expect(changes[2]!.connection).toMatchObject({ nextRetryAt: undefined, since: 2_000 });
    expect(changes[3]!.connection.since).toBe(2_400);
  });

  it("hands React the same snapshot object until the next change", () => {
    const machine = new ConnectionStateMachine({ now: () => 0 }, () => {});
    const store = machine.store;
    const before = store.getSnapshot();
    expect(store.getSnapshot()).toBe(before);
    let notified = 0;
    store.subscribe(() => notified++);
    machine.setState("closed", { attempt: 0, reason: "offline" });
    expect(notified).toBe(1);
    expect(store.getSnapshot()).not.toBe(before);
    expect(store.getSnapshot().reason).toBe("offline");
  });
});

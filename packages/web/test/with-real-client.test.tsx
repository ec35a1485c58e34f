/**
 * The views on the real @pushgate/client (only its socket is a stand-in), to
 * prove the hooks fit the client's actual API: mounting a game subscribes on
 * the wire, a pushed frame reaches the DOM, a drop shows the real backoff
 * countdown, and the reconnect resubscribes and returns to Live.
 */
import { createPushClient, type PushClient as RealPushClient } from "@pushgate/client";
import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConnectionBadge } from "../src/components/ConnectionBadge.js";
import { GameCard } from "../src/components/GameCard.js";
import { PushProvider } from "../src/push-context.js";
import { fakeApi } from "./fake-api.js";

class StandInSocket {
  static all: StandInSocket[] = [];
  readyState = 0;
  protocol = "";
  readonly sent: Record<string, unknown>[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    StandInSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close() {
    this.readyState = 3;
  }
  accept() {
    this.readyState = 1;
    this.protocol = "pushgate.v1";
    this.onopen?.({});
  }
  receive(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: "" });
  }
  subscribedTopics(): string[] {
    return this.sent.filter((f) => f.action === "subscribe").flatMap((f) => f.topics as string[]);
  }
}

const settle = () => act(async () => {});

describe("views on the real push client", () => {
  let client: RealPushClient;

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse("2026-11-22T12:00:00.000Z") });
    StandInSocket.all = [];
    client = createPushClient({
      httpApiUrl: "http://api.test",
      websocketUrl: "ws://ws.test/local",
      WebSocket: StandInSocket,
      fetch: async () => Promise.reject(new Error("no HTTP in this test")),
      tokenProvider: async () => ({ token: "tok", expiresAt: Number.POSITIVE_INFINITY }),
      online: null,
      polling: false,
      random: () => 0.5,
      reconnect: { baseMs: 8_000, capMs: 20_000 },
    });
  });
  afterEach(() => {
    client.close();
    cleanup();
    vi.useRealTimers();
  });

  it("subscribes, shows pushed scores, counts down a reconnect, and comes back live", async () => {
    // The real client where the other tests put the fake: it must fit the same interface.
    render(
      <PushProvider client={client} api={fakeApi()}>
        <ConnectionBadge />
        <GameCard game={{ id: "g1", home: { name: "Hawks" }, away: { name: "Bears" } }} />
      </PushProvider>,
    );
    act(() => client.connect());
    await settle();
    act(() => vi.advanceTimersByTime(1_000)); // a state is shown once it has lasted a second
    expect(screen.getByTestId("connection-badge").textContent).toBe("Connecting…");

    const first = StandInSocket.all[0]!;
    expect(first.protocols).toEqual(["pushgate.v1", "token.tok"]);
    act(() => first.accept());
    act(() => vi.advanceTimersByTime(1_000));
    expect(screen.getByTestId("connection-badge").textContent).toBe("Live");
    expect(first.subscribedTopics()).toEqual(["game/g1"]);

    act(() => {
      const id = first.sent.find((f) => f.action === "subscribe")!.id;
      first.receive({ type: "subscribed", id, topics: [{ topic: "game/g1", seq: 0, snapshotUrl: "http://s3.test/snap" }] });
      first.receive({
        type: "message",
        topic: "game/g1",
        seq: 1,
        kind: "score-update",
        data: { home: 7, away: 0, lastPlay: "Touchdown!" },
        ts: "2026-11-22T12:00:00.000Z",
      });
    });
    expect(screen.getByTestId("score-g1").textContent).toBe("7–0");
    expect(screen.getByTestId("last-play-g1").textContent).toContain("Touchdown!");

    // A duplicate (at-least-once delivery) changes nothing.
    act(() =>
      first.receive({
        type: "message",
        topic: "game/g1",
        seq: 1,
        kind: "score-update",
        data: { home: 99, away: 0 },
        ts: "2026-11-22T12:00:01.000Z",
      }),
    );
    expect(screen.getByTestId("score-g1").textContent).toBe("7–0");

    // Stable for a while, then dropped: first retry at 0.5 * 8 s = 4 s.
    act(() => vi.advanceTimersByTime(15_000));
    act(() => first.drop());
    // Shown once it has lasted a second (a blip is not worth a flicker).
    expect(screen.getByTestId("connection-badge").textContent).toBe("Live");
    expect(screen.getByTestId("score-g1").textContent).toBe("7–0");
    act(() => vi.advanceTimersByTime(1_000));
    expect(screen.getByTestId("connection-badge").textContent).toBe("Reconnecting…");

    act(() => vi.advanceTimersByTime(3_000));
    await settle();
    const second = StandInSocket.all[1]!;
    expect(second).toBeDefined();
    act(() => second.accept());
    act(() => vi.advanceTimersByTime(1_000));
    expect(screen.getByTestId("connection-badge").textContent).toBe("Live");
    expect(second.subscribedTopics()).toEqual(["game/g1"]);
  });
});

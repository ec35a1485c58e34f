/**
 * The views on the real @pushgate/client and the testing kit's fake push
 * server, to prove the hooks fit the client's actual API end to end: mounting
 * a game subscribes on the wire, a pushed frame reaches the DOM, a duplicate
 * changes nothing, a drop shows the real backoff countdown (the badge's own
 * timer moves with the client's: `onAdvance`), and the reconnect resubscribes
 * and returns to Live.
 */
import { act, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConnectionBadge } from "../src/components/ConnectionBadge.js";
import { Scoreboard } from "../src/views/Scoreboard.js";
import { closeKitClients, onServer, renderOnKit } from "./push-kit.js";

const START = Date.parse("2026-11-22T12:00:00.000Z");

describe("views on the real push client", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: START });
  });
  afterEach(() => {
    closeKitClients();
    vi.useRealTimers();
  });

  it("subscribes, shows pushed scores, counts down a reconnect, and comes back live", async () => {
    const { server, client } = await renderOnKit(
      <>
        <ConnectionBadge />
        <Scoreboard games={[{ id: "g1", home: "Hawks", away: "Bears" }]} />
      </>,
      {
        server: { now: START, onAdvance: (ms) => vi.advanceTimersByTime(ms) },
        client: { random: () => 0.5, reconnect: { baseMs: 8_000, capMs: 20_000 } },
        connect: false,
      },
    );
    act(() => client.connect());
    expect(screen.getByTestId("connection-badge").textContent).toBe("Connecting…");
    await onServer(server, () => {});
    expect(screen.getByTestId("connection-badge").textContent).toBe("Live");
    const first = server.connection();
    expect(first.socket.protocols).toEqual(["pushgate.v1", `token.${server.sessions[0]!.token}`]);
    expect(first.framesOf("subscribe").flatMap((frame) => frame.topics)).toEqual(["game/g1"]);

    await onServer(server, () => void server.publish("game/g1", { home: 7, away: 0, lastPlay: "Touchdown!" }));
    expect(screen.getByTestId("score-g1").textContent).toBe("7–0");
    expect(screen.getByTestId("last-play-g1").textContent).toContain("Touchdown!");

    // A duplicate (at-least-once delivery), sent as the gateway would resend it, changes nothing.
    await onServer(server, () =>
      first.send({
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
    await onServer(server, () => server.advance(15_000));
    await onServer(server, () => server.drop());
    expect(screen.getByTestId("connection-badge").textContent).toBe("Reconnecting in 4 s");
    expect(screen.getByTestId("score-g1").textContent).toBe("7–0");
    await onServer(server, () => server.advance(1_000));
    expect(screen.getByTestId("connection-badge").textContent).toBe("Reconnecting in 3 s");

    await onServer(server, () => server.advance(3_000));
    expect(screen.getByTestId("connection-badge").textContent).toBe("Live");
    const second = server.connection();
    expect(second).not.toBe(first);
    expect(second.framesOf("subscribe").flatMap((frame) => frame.topics)).toEqual(["game/g1"]);
  });
});

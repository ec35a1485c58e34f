/**
 * The views on the real @pushgate/client and the testing kit's fake push
 * server, end to end through one game: mounting a game subscribes on the
 * wire, a pushed frame reaches the DOM, a duplicate changes nothing, a drop
 * shows Reconnecting after a second, and the reconnect resubscribes and
 * returns to Live.
 */
import { createFakePushServer, type FakePushServer } from "@pushgate/client/testing";
import { cleanup, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConnectionBadge } from "../src/components/ConnectionBadge.js";
import { GameCard } from "../src/components/GameCard.js";
import { closeKitClients, onServer, publishOn, renderOnKit } from "./push-kit.js";

describe("views on the real push client", () => {
  // The page's timers (the badge's settling second) move in step with the server's clock.
  let kit: FakePushServer;

  beforeEach(() => {
    kit = createFakePushServer({ onAdvance: (ms) => vi.advanceTimersByTime(ms) });
    vi.useFakeTimers({ now: kit.now() });
  });
  afterEach(() => {
    closeKitClients();
    cleanup();
    vi.useRealTimers();
  });

  it("subscribes, shows pushed scores, ignores a duplicate, shows a reconnect, and comes back live", async () => {
    // Connected before mounting, as start.ts does; a dropped stable socket retries after 0.5 * 8 s = 4 s.
    const { client } = await renderOnKit(
      <>
        <ConnectionBadge />
        <GameCard game={{ id: "g1", home: { name: "Hawks" }, away: { name: "Bears" } }} />
      </>,
      { server: kit, connect: "before-render", client: { random: () => 0.5, reconnect: { baseMs: 8_000, capMs: 20_000 } } },
    );
    expect(screen.getByTestId("connection-badge").textContent).toBe("Connecting…");
    const wait = (ms: number) => onServer(kit, () => kit.advance(ms));
    await wait(1_000); // a state is shown once it has lasted a second
    expect(screen.getByTestId("connection-badge").textContent).toBe("Live");
    const first = kit.connection();
    expect(first.socket.protocols[0]).toBe("pushgate.v1");
    expect(first.framesOf("subscribe").flatMap((frame) => frame.topics)).toEqual(["game/g1"]);

    await publishOn(kit, "game/g1", { home: 7, away: 0, lastPlay: "Touchdown!" });
    expect(screen.getByTestId("score-g1").textContent).toBe("7–0");
    expect(screen.getByTestId("last-play-g1").textContent).toContain("Touchdown!");

    // A duplicate (at-least-once delivery: the same seq again) changes nothing.
    await onServer(kit, () =>
      first.send({
        type: "message",
        topic: "game/g1",
        seq: kit.seqOf("game/g1"),
        kind: "score-update",
        data: { home: 99, away: 0 },
        ts: new Date(kit.now()).toISOString(),
      }),
    );
    expect(screen.getByTestId("score-g1").textContent).toBe("7–0");

    // Stable for a while, then dropped.
    await wait(15_000);
    await onServer(kit, () => kit.drop());
    // Shown once it has lasted a second (a blip is not worth a flicker).
    expect(screen.getByTestId("connection-badge").textContent).toBe("Live");
    expect(screen.getByTestId("score-g1").textContent).toBe("7–0");
    await wait(1_000);
    expect(screen.getByTestId("connection-badge").textContent).toBe("Reconnecting…");

    await wait(3_000);
    expect(client.connection.getSnapshot().state).toBe("live");
    await wait(1_000);
    expect(screen.getByTestId("connection-badge").textContent).toBe("Live");
    expect(kit.connection()).not.toBe(first);
    expect(
      kit
        .connection()
        .framesOf("subscribe")
        .flatMap((frame) => frame.topics),
    ).toEqual(["game/g1"]);
    await publishOn(kit, "game/g1", { home: 7, away: 3 });
    expect(screen.getByTestId("score-g1").textContent).toBe("7–3");
  });
});

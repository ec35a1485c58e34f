/**
 * The whole app on the real push client and the testing kit's fake push
 * server, connected as start.ts connects it: views, tabs, the badge and the
 * banner follow what happens on the wire.
 */
import type { GameSummary } from "@pushgate/client";
import { createFakePushServer } from "@pushgate/client/testing";
import { act, cleanup, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../src/App.js";
import { pageConfig } from "../src/config.js";
import { fakeApi } from "./fake-api.js";
import { closeKitClients, type KitOptions, onServer, renderOnKit } from "./push-kit.js";

/** The app as start.ts mounts it: the client connects first, the page renders on "connecting". */
const renderApp = (options: KitOptions = {}) => renderOnKit(<App config={pageConfig({})} />, { connect: "before-render", ...options });

/** The app on fake page timers kept in step with the server's clock, for what waits a second (the badge) or counts down. */
async function renderAppOnTimers(options: KitOptions = {}) {
  const server = createFakePushServer({ onAdvance: (ms) => vi.advanceTimersByTime(ms) });
  vi.useFakeTimers({ now: server.now() });
  const view = await renderApp({ ...options, server });
  return Object.assign(view, { wait: (ms: number) => onServer(server, () => server.advance(ms)) });
}

afterEach(() => {
  closeKitClients();
  cleanup();
  vi.useRealTimers();
  window.location.hash = "";
});

function navigate(hash: string) {
  act(() => {
    window.location.hash = hash;
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  });
}

const listed = (gameId: string): GameSummary => ({
  gameId,
  home: { name: "Hawks", shortName: "HAW", colour: "#1f6feb" },
  away: { name: "Bears", shortName: "BEA", colour: "#d1242f" },
  startsAt: "2026-06-21T18:00:00Z",
  status: "live",
});

describe("App", () => {
  it("opens on the scoreboard, with the badge in the header and the scores tab current", async () => {
    const { server, wait } = await renderAppOnTimers();
    expect(screen.getByRole("heading", { level: 1, name: "Live scores" })).toBeTruthy();
    expect(screen.getByTestId("connection-badge").textContent).toBe("Connecting…");
    await wait(1_000); // the badge shows a state once it has lasted a second
    expect(screen.getByTestId("connection-badge").textContent).toBe("Live");
    expect(screen.getByRole("link", { name: "Scores" }).getAttribute("aria-current")).toBe("page");
    await onServer(server, () => void server.publish("games/all", { games: [listed("g1"), listed("g2")] }));
    expect(screen.getByTestId("game-g1")).toBeTruthy();
    expect(screen.getByTestId("game-g2")).toBeTruthy();
  });

  it("switches views with the URL hash, so each view has its own link", async () => {
    await renderApp();
    navigate("#/queue");
    expect(screen.getByRole("heading", { level: 1, name: "Waiting room" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Tickets" }).getAttribute("aria-current")).toBe("page");
    expect(screen.getByRole("link", { name: "Scores" }).getAttribute("aria-current")).toBeNull();
    navigate("#/results");
    expect(screen.getByRole("heading", { level: 1, name: "My results" })).toBeTruthy();
    navigate("#/nonsense");
    expect(screen.getByRole("heading", { level: 1, name: "Live scores" })).toBeTruthy();
  });

  it("releases a view's topics when the fan leaves it", async () => {
    const { server } = await renderApp();
    await onServer(server, () => void server.publish("games/all", { games: [listed("g1")] }));
    expect(server.subscribers("game/g1")).toBe(1);
    expect(server.subscribers("games/all")).toBe(1);
    await onServer(server, () => navigate("#/results"));
    expect(server.subscribers("game/g1")).toBe(0);
    expect(server.subscribers("games/all")).toBe(0);
  });

  it("shows the banner only when the connection is not live", async () => {
    const { server, wait } = await renderAppOnTimers();
    await wait(1_000);
    expect(screen.getByTestId("connection-badge").textContent).toBe("Live");
    expect(screen.queryByTestId("connection-hint")).toBeNull();
    await onServer(server, () => server.setOnline(false));
    await wait(1_000); // shown once it has lasted a second
    expect(screen.getByTestId("connection-badge").textContent).toBe("Offline");
    expect(screen.getByTestId("connection-hint").textContent).toMatch(/You're offline/);
  });
});

describe("pageConfig", () => {
  it("pins no game by default (the list comes from games/all) and pins games and names from VITE_GAMES", () => {
    expect(pageConfig({})).toEqual({ pinnedGames: [], queueEventId: "e1" });
    expect(pageConfig({ VITE_GAMES: "g7:Hawks:Bears, g9", VITE_QUEUE_EVENT: "e4" })).toEqual({
      pinnedGames: [
        { id: "g7", home: { name: "Hawks" }, away: { name: "Bears" } },
        { id: "g9", home: { name: "Home" }, away: { name: "Away" } },
      ],
      queueEventId: "e4",
    });
  });
});

describe("the Results tab's mark", () => {
  it("marks the tab when a report becomes ready while the fan is elsewhere, and clears once seen", async () => {
    sessionStorage.setItem(
      "pushgate.reports",
      JSON.stringify([{ jobId: "j1", resultUrl: "http://s3.test/r", topic: "job/j1", requestedAt: "2026-06-21T18:00:00.000Z" }]),
    );
    const { server } = await renderApp({ api: fakeApi({ fetchReport: () => new Promise(() => {}) }) });
    expect(screen.queryByTestId("results-mark")).toBeNull();
    expect(server.subscribers("job/j1")).toBe(1);
    await onServer(
      server,
      () => void server.publish("job/j1", { jobId: "j1", url: "http://s3.test/r?sig", expiresAt: "2999-01-01T00:00:00.000Z" }),
    );
    expect(screen.getByTestId("results-mark")).toBeTruthy();
    expect(screen.getByTestId("results-mark").closest("a")?.textContent).toBe("My results, a report is ready");
    navigate("#/results");
    navigate("#/scores");
    expect(screen.queryByTestId("results-mark")).toBeNull();
    sessionStorage.clear();
  });
});

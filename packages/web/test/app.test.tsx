import { act, cleanup, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../src/App.js";
import { pageConfig } from "../src/config.js";
import { fakeApi, FakePushClient, renderWithPush } from "./fake-push.js";

afterEach(() => {
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

const listed = (gameId: string) => ({
  gameId,
  home: { name: "Hawks", shortName: "HAW", colour: "#1f6feb" },
  away: { name: "Bears", shortName: "BEA", colour: "#d1242f" },
  startsAt: "2026-06-21T18:00:00Z",
  status: "live",
});

describe("App", () => {
  it("opens on the scoreboard, with the badge in the header and the scores tab current", () => {
    const { client } = renderWithPush(<App config={pageConfig({})} />);
    expect(screen.getByRole("heading", { level: 1, name: "Live scores" })).toBeTruthy();
    expect(screen.getByTestId("connection-badge").textContent).toBe("Live");
    expect(screen.getByRole("link", { name: "Scores" }).getAttribute("aria-current")).toBe("page");
    client.publish("games/all", { games: [listed("g1"), listed("g2")] });
    expect(screen.getByTestId("game-g1")).toBeTruthy();
    expect(screen.getByTestId("game-g2")).toBeTruthy();
  });

  it("switches views with the URL hash, so each view has its own link", () => {
    renderWithPush(<App config={pageConfig({})} />);
    navigate("#/queue");
    expect(screen.getByRole("heading", { level: 1, name: "Waiting room" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Tickets" }).getAttribute("aria-current")).toBe("page");
    expect(screen.getByRole("link", { name: "Scores" }).getAttribute("aria-current")).toBeNull();
    navigate("#/results");
    expect(screen.getByRole("heading", { level: 1, name: "My results" })).toBeTruthy();
    navigate("#/nonsense");
    expect(screen.getByRole("heading", { level: 1, name: "Live scores" })).toBeTruthy();
  });

  it("releases a view's topics when the fan leaves it", () => {
    const client = new FakePushClient();
    renderWithPush(<App config={pageConfig({})} />, client);
    client.publish("games/all", { games: [listed("g1")] });
    expect(client.holders("game/g1")).toBe(1);
    expect(client.holders("games/all")).toBe(1);
    navigate("#/results");
    expect(client.holders("game/g1")).toBe(0);
    expect(client.holders("games/all")).toBe(0);
  });

  it("shows the banner only when the connection is not live", () => {
    vi.useFakeTimers();
    const client = new FakePushClient();
    renderWithPush(<App config={pageConfig({})} />, client);
    expect(screen.queryByTestId("connection-hint")).toBeNull();
    client.setConnection({ state: "closed", attempt: 0, reason: "offline" });
    act(() => vi.advanceTimersByTime(1_000)); // shown once it has lasted a second
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
    const client = new FakePushClient();
    sessionStorage.setItem(
      "pushgate.reports",
      JSON.stringify([{ jobId: "j1", resultUrl: "http://s3.test/r", topic: "job/j1", requestedAt: "2026-06-21T18:00:00.000Z" }]),
    );
    renderWithPush(<App config={pageConfig({})} />, client, fakeApi({ fetchReport: () => new Promise(() => {}) }));
    expect(screen.queryByTestId("results-mark")).toBeNull();
    expect(client.holders("job/j1")).toBe(1);
    client.publish("job/j1", { jobId: "j1", url: "http://s3.test/r?sig", expiresAt: "2999-01-01T00:00:00.000Z" });
    expect(screen.getByTestId("results-mark")).toBeTruthy();
    expect(screen.getByTestId("results-mark").closest("a")?.textContent).toBe("My results, a report is ready");
    navigate("#/results");
    navigate("#/scores");
    expect(screen.queryByTestId("results-mark")).toBeNull();
    sessionStorage.clear();
  });
});

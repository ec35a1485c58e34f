/**
 * The scoreboard on the real push client and the testing kit's fake push
 * server: games/all and game/... arrive as publications on the wire, and what
 * the view holds is what the client subscribes.
 */
import { act, cleanup, fireEvent, screen, within } from "@testing-library/react";
import type { GameSummary } from "@pushgate/client";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FLASH_MS } from "../src/use-change-flash.js";
import { LIST_WAIT_MS, Scoreboard } from "../src/views/Scoreboard.js";
import { closeKitClients, onServer, publishOn, renderOnKit } from "./push-kit.js";

const team = (name: string, shortName: string, colour: string) => ({ name, shortName, colour });
const LISTED: GameSummary[] = [
  {
    gameId: "g1",
    home: team("Hawks", "HAW", "#1f6feb"),
    away: team("Bears", "BEA", "#d1242f"),
    startsAt: "2026-06-21T18:00:00Z",
    status: "live",
  },
  {
    gameId: "g2",
    home: team("Lions", "LIO", "#b45309"),
    away: team("Wolves", "WOL", "#15803d"),
    startsAt: "2026-06-21T20:00:00Z",
    status: "scheduled",
  },
];

/** Render on the kit, with `publish`: a publication on the wire, awaited until the client and React caught up. */
async function renderScoreboard(ui: ReactNode = <Scoreboard />) {
  const rendered = await renderOnKit(ui);
  const publish = <T extends string>(topic: T, data: Parameters<typeof rendered.server.publish<T>>[1]) =>
    publishOn(rendered.server, topic, data);
  return Object.assign(rendered, { publish });
}

/** The scoreboard with the operator's two games listed on games/all. */
async function renderListed(ui?: ReactNode) {
  const rendered = await renderScoreboard(ui);
  await rendered.publish("games/all", { games: LISTED });
  return rendered;
}

describe("Scoreboard", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    closeKitClients();
    cleanup();
    vi.useRealTimers();
  });

  it("shows every listed game, waiting until its first score arrives", async () => {
    const { server } = await renderListed();
    expect(screen.getAllByRole("article")).toHaveLength(2);
    expect(within(screen.getByRole("article", { name: "Hawks vs Bears" })).getByText("Waiting for the first score…")).toBeTruthy();
    expect(server.subscribers("game/g1")).toBe(1);
    expect(server.subscribers("game/g2")).toBe(1);
  });

  it("shows the score, the period and clock, and the last play", async () => {
    const { publish } = await renderListed();
    await publish("game/g1", { home: 7, away: 3, period: "Q2", clock: "04:12", lastPlay: "Field goal from 41 yards" });
    const score = screen.getByTestId("score-g1");
    expect(score.textContent).toBe("7–3");
    expect(screen.getByRole("img", { name: "Hawks 7, Bears 3" })).toBe(score);
    expect(screen.getByTestId("clock-g1").textContent).toBe("Q2 · 04:12");
    expect(screen.getByTestId("last-play-g1").textContent).toBe("Last play: Field goal from 41 yards");
    // The other game is untouched.
    expect(screen.queryByTestId("score-g2")).toBeNull();
  });

  it("highlights the side whose score changed, briefly", async () => {
    const { publish } = await renderListed();
    await publish("game/g1", { home: 7, away: 3 });
    // The first score is not a change.
    expect(screen.getByTestId("score-g1-home").dataset.changed).toBe("false");

    await publish("game/g1", { home: 14, away: 3, lastPlay: "Touchdown!" });
    const home = screen.getByTestId("score-g1-home");
    expect(home.textContent).toBe("14");
    expect(home.dataset.changed).toBe("true");
    expect(home.className).toContain("game__number--changed");
    expect(screen.getByTestId("score-g1-away").dataset.changed).toBe("false");

    act(() => vi.advanceTimersByTime(FLASH_MS - 1));
    expect(screen.getByTestId("score-g1-home").dataset.changed).toBe("true");
    act(() => vi.advanceTimersByTime(1));
    expect(screen.getByTestId("score-g1-home").dataset.changed).toBe("false");
  });

  it("does not flash when only the clock moves", async () => {
    const { publish } = await renderListed();
    await publish("game/g1", { home: 7, away: 3, clock: "10:00" });
    await publish("game/g1", { home: 7, away: 3, clock: "09:13" });
    expect(screen.getByTestId("score-g1-home").dataset.changed).toBe("false");
    expect(screen.getByTestId("score-g1-away").dataset.changed).toBe("false");
  });

  it("keeps flashing for the full time after back-to-back changes", async () => {
    const { publish } = await renderListed();
    await publish("game/g1", { home: 0, away: 0 });
    await publish("game/g1", { home: 0, away: 3 });
    act(() => vi.advanceTimersByTime(FLASH_MS - 500));
    await publish("game/g1", { home: 0, away: 6 });
    act(() => vi.advanceTimersByTime(FLASH_MS - 1));
    expect(screen.getByTestId("score-g1-away").dataset.changed).toBe("true");
    act(() => vi.advanceTimersByTime(1));
    expect(screen.getByTestId("score-g1-away").dataset.changed).toBe("false");
  });

  it("does not announce every score of every game: a row has no live region, its detail a Follow toggle (ScoreAnnouncer speaks for followed games)", async () => {
    const { publish } = await renderListed();
    await publish("game/g2", { home: 0, away: 7, lastPlay: "Interception returned for a touchdown" });
    const card = screen.getByRole("article", { name: "Lions vs Wolves" });
    expect(within(card).queryByRole("status")).toBeNull();
    fireEvent.click(screen.getByTestId("row-g2"));
    expect(within(card).getByRole("button", { name: "Follow Lions vs Wolves" }).getAttribute("aria-pressed")).toBe("false");
  });

  it("stops listening to a game's topic when the scoreboard goes away", async () => {
    const { server, unmount } = await renderListed();
    expect(server.subscribers("game/g1")).toBe(1);
    await onServer(server, unmount);
    expect(server.subscribers("game/g1")).toBe(0);
  });
});

describe("the list of games (games/all)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse("2026-06-21T18:20:00Z"));
  });
  afterEach(() => {
    closeKitClients();
    cleanup();
    vi.useRealTimers();
  });

  it("holds the space with placeholder rows until the list arrives, then shows the listed games in its order", async () => {
    const { server, publish } = await renderScoreboard();
    expect(screen.getAllByTestId("game-placeholder")).toHaveLength(2);
    expect(server.subscribers("games/all")).toBe(1);
    await publish("games/all", { games: LISTED });
    expect(screen.queryByTestId("game-placeholder")).toBeNull();
    expect(screen.getAllByRole("article").map((article) => article.dataset.testid)).toEqual(["game-g1", "game-g2"]);
    // A game added later appears without a reload; one unlisted goes.
    await publish("games/all", { games: [LISTED[1], { ...LISTED[0], gameId: "g3" }] });
    expect(screen.getAllByRole("article").map((article) => article.dataset.testid)).toEqual(["game-g2", "game-g3"]);
    expect(server.subscribers("game/g1")).toBe(0);
  });

  it("says so when no list comes (a stage where nothing was ever listed)", async () => {
    await renderScoreboard();
    act(() => vi.advanceTimersByTime(LIST_WAIT_MS));
    expect(screen.queryByTestId("game-placeholder")).toBeNull();
    expect(screen.getByTestId("no-games").textContent).toMatch(/No games are listed right now/);
  });

  it("marks live, half-time and final games and shows a scheduled game's start time", async () => {
    const { publish } = await renderListed();
    expect(screen.getByTestId("status-g1").textContent).toBe("Live");
    expect(screen.getByTestId("status-g2").textContent).toMatch(/^\d\d:\d\d|^\d{1,2}:\d\d/);
    await publish("game/g1", { home: 14, away: 10, status: "halftime" });
    expect(screen.getByTestId("status-g1").textContent).toBe("Half-time");
    await publish("game/g1", { home: 31, away: 17, status: "final" });
    expect(screen.getByTestId("status-g1").textContent).toBe("Final");
    expect(screen.getByTestId("game-g1").dataset.status).toBe("final");
  });

  it("runs the game clock between updates while the producer says it runs, and holds it when stopped", async () => {
    const { publish } = await renderListed();
    const gameClock = { period: "Q2", secondsLeft: 541, running: true, setAt: "2026-06-21T18:20:00.000Z" };
    await publish("game/g1", { home: 7, away: 3, status: "live", gameClock });
    expect(screen.getByTestId("clock-g1").textContent).toBe("Q2 · 09:01");
    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByTestId("clock-g1").textContent).toBe("Q2 · 09:00");
    act(() => vi.advanceTimersByTime(60_000));
    expect(screen.getByTestId("clock-g1").textContent).toBe("Q2 · 08:00");
    await publish("game/g1", { home: 7, away: 3, status: "live", gameClock: { ...gameClock, secondsLeft: 480, running: false } });
    act(() => vi.advanceTimersByTime(5000));
    expect(screen.getByTestId("clock-g1").textContent).toBe("Q2 · 08:00");
  });

  it("uses the teams the score carries, and opens the detail (last play, watching) on a tap", async () => {
    const { publish } = await renderListed();
    await publish("game/g1", {
      home: 7,
      away: 0,
      lastPlay: "Touchdown run",
      watching: 1234,
      teams: { home: LISTED[0]!.home, away: team("Grizzlies", "GRZ", "#000000") },
    });
    expect(screen.getByRole("img", { name: "Hawks 7, Grizzlies 0" })).toBeTruthy();
    const row = screen.getByTestId("row-g1");
    const detail = document.getElementById(row.getAttribute("aria-controls")!)!;
    expect(row.getAttribute("aria-expanded")).toBe("false");
    expect(detail.hidden).toBe(true);
    act(() => row.click());
    expect(row.getAttribute("aria-expanded")).toBe("true");
    expect(detail.hidden).toBe(false);
    expect(screen.getByTestId("watching-g1").textContent).toBe("About 1,234 watching");
  });

  it("keeps a line for the watching count before it is counted, then fills it in place: exact when small, 'About' when rounded", async () => {
    const { publish } = await renderListed();
    act(() => screen.getByTestId("row-g1").click());
    await publish("game/g1", { home: 0, away: 0 });
    const line = screen.getByTestId("watching-g1");
    // Reserved: the same element, blank and hidden from screen readers until a count arrives.
    expect(line.textContent).toBe("\u00a0");
    expect(line.getAttribute("aria-hidden")).toBe("true");
    await publish("game/g1", { home: 0, away: 0, watching: 12 });
    expect(screen.getByTestId("watching-g1")).toBe(line);
    expect(line.textContent).toBe("12 watching");
    expect(line.getAttribute("aria-hidden")).toBe("false");
    await publish("game/g1", { home: 0, away: 0, watching: 12_000 });
    expect(line.textContent).toBe("About 12,000 watching");
  });

  it("shows pinned games (VITE_GAMES) alongside the listed ones, once each", async () => {
    await renderListed(
      <Scoreboard
        pinned={[
          { id: "g1", home: { name: "X" }, away: { name: "Y" } },
          { id: "p9", home: { name: "Home" }, away: { name: "Away" } },
        ]}
      />,
    );
    expect(screen.getAllByRole("article").map((article) => article.dataset.testid)).toEqual(["game-g1", "game-g2", "game-p9"]);
  });
});

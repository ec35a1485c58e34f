import { act, cleanup, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FLASH_MS } from "../src/use-change-flash.js";
import { Scoreboard } from "../src/views/Scoreboard.js";
import { renderWithPush } from "./fake-push.js";

const GAMES = [
  { id: "g1", home: "Hawks", away: "Bears" },
  { id: "g2", home: "Lions", away: "Wolves" },
];

describe("Scoreboard", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it("shows every game, waiting until its first score arrives", () => {
    const { client } = renderWithPush(<Scoreboard games={GAMES} />);
    expect(screen.getAllByRole("article")).toHaveLength(2);
    expect(within(screen.getByRole("article", { name: "Hawks vs Bears" })).getByText("Waiting for the first score…")).toBeTruthy();
    expect(client.holders("game/g1")).toBe(1);
    expect(client.holders("game/g2")).toBe(1);
  });

  it("shows the score, the period and clock, and the last play", () => {
    const { client } = renderWithPush(<Scoreboard games={GAMES} />);
    client.publish("game/g1", { home: 7, away: 3, period: "Q2", clock: "04:12", lastPlay: "Field goal from 41 yards" });
    const score = screen.getByTestId("score-g1");
    expect(score.textContent).toBe("7–3");
    expect(screen.getByRole("img", { name: "Hawks 7, Bears 3" })).toBe(score);
    expect(screen.getByTestId("clock-g1").textContent).toBe("Q2 · 04:12");
    expect(screen.getByTestId("last-play-g1").textContent).toBe("Last play: Field goal from 41 yards");
    // The other game is untouched.
    expect(screen.queryByTestId("score-g2")).toBeNull();
  });

  it("highlights the side whose score changed, briefly", () => {
    const { client } = renderWithPush(<Scoreboard games={GAMES} />);
    client.publish("game/g1", { home: 7, away: 3 });
    // The first score is not a change.
    expect(screen.getByTestId("score-g1-home").dataset.changed).toBe("false");

    client.publish("game/g1", { home: 14, away: 3, lastPlay: "Touchdown!" });
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

  it("does not flash when only the clock moves", () => {
    const { client } = renderWithPush(<Scoreboard games={GAMES} />);
    client.publish("game/g1", { home: 7, away: 3, clock: "10:00" });
    client.publish("game/g1", { home: 7, away: 3, clock: "09:13" });
    expect(screen.getByTestId("score-g1-home").dataset.changed).toBe("false");
    expect(screen.getByTestId("score-g1-away").dataset.changed).toBe("false");
  });

  it("keeps flashing for the full time after back-to-back changes", () => {
    const { client } = renderWithPush(<Scoreboard games={GAMES} />);
    client.publish("game/g1", { home: 0, away: 0 });
    client.publish("game/g1", { home: 0, away: 3 });
    act(() => vi.advanceTimersByTime(FLASH_MS - 500));
    client.publish("game/g1", { home: 0, away: 6 });
    act(() => vi.advanceTimersByTime(FLASH_MS - 1));
    expect(screen.getByTestId("score-g1-away").dataset.changed).toBe("true");
    act(() => vi.advanceTimersByTime(1));
    expect(screen.getByTestId("score-g1-away").dataset.changed).toBe("false");
  });

  it("does not announce every score of every game: a card has no live region, only a Follow toggle (ScoreAnnouncer speaks for followed games)", () => {
    const { client } = renderWithPush(<Scoreboard games={GAMES} />);
    client.publish("game/g2", { home: 0, away: 7, lastPlay: "Interception returned for a touchdown" });
    const card = screen.getByRole("article", { name: "Lions vs Wolves" });
    expect(within(card).queryByRole("status")).toBeNull();
    expect(within(card).getByRole("button", { name: "Follow Lions vs Wolves" }).getAttribute("aria-pressed")).toBe("false");
  });

  it("stops listening to a game's topic when the scoreboard goes away", () => {
    const { client, unmount } = renderWithPush(<Scoreboard games={GAMES} />);
    unmount();
    expect(client.holders("game/g1")).toBe(0);
  });
});

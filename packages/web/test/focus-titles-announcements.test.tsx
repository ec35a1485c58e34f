/**
 * Where focus goes after an action, what the tab is titled, and what screen
 * readers hear: followed scores (throttled), queue milestones, a report that
 * became ready. Not every update. On the real push client and the testing
 * kit's fake push server: every update arrives as a publication on the wire.
 */
import { act, cleanup, fireEvent, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ScoreData, TeamInfo } from "@pushgate/client";
import type { QueuePlace, ReportJob } from "../src/api.js";
import { App } from "../src/App.js";
import { ScoreAnnouncer, SCORE_ANNOUNCEMENT_GAP_MS } from "../src/components/ScoreAnnouncer.js";
import { pageConfig } from "../src/config.js";
import { forgetFollowedGames, setFollowed } from "../src/followed-games.js";
import { milestoneText, queueMilestone } from "../src/queue-standing.js";
import { REPORTS_STORAGE_KEY } from "../src/reports.js";
import { fakeApi } from "./fake-api.js";
import { closeKitClients, onServer, publishOn, renderOnKit } from "./push-kit.js";

const PLACE: QueuePlace = {
  eventId: "e1",
  name: "The Finals",
  topic: "queue/e1",
  opensAt: "2026-11-22T11:00:00.000Z",
  status: "waiting",
  ticket: 151,
  servingNumber: 100,
  peopleAhead: 50,
};
const JOB: ReportJob = { jobId: "j1", resultUrl: "http://s3.local/results/j1.json?sig", topic: "job/j1" };
const READY = { jobId: "j1", url: "http://s3.local/results/j1.json?X-Amz-Signature=abc", expiresAt: "2999-01-01T00:00:00.000Z" };
/** The operator's description of each game, carried by every score-update. */
const TEAMS: Record<string, { home: TeamInfo; away: TeamInfo }> = {
  g1: { home: { name: "Hawks", shortName: "HAW", colour: "#1f6feb" }, away: { name: "Bears", shortName: "BEA", colour: "#d1242f" } },
  g2: { home: { name: "Lions", shortName: "LIO", colour: "#b45309" }, away: { name: "Wolves", shortName: "WOL", colour: "#15803d" } },
};

function navigate(hash: string) {
  act(() => {
    window.location.hash = hash;
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  });
}

afterEach(() => {
  closeKitClients();
  cleanup();
  vi.useRealTimers();
  sessionStorage.clear();
  forgetFollowedGames();
  window.location.hash = "";
  document.title = "";
});

describe("titles", () => {
  it("gives each view its own title", async () => {
    await renderOnKit(<App config={pageConfig({})} />);
    expect(document.title).toBe("Live scores · pushgate");
    navigate("#/queue");
    expect(document.title).toBe("Waiting room · pushgate");
    navigate("#/results");
    expect(document.title).toBe("My results · pushgate");
  });

  it("says in the tab title that a report is ready while the fan is elsewhere, until they open My results", async () => {
    sessionStorage.setItem(REPORTS_STORAGE_KEY, JSON.stringify([{ ...JOB, requestedAt: "2026-11-22T12:00:00.000Z" }]));
    const { server } = await renderOnKit(<App config={pageConfig({})} />);
    expect(server.subscribers("job/j1")).toBe(1); // watched from the scoreboard
    await publishOn(server, "job/j1", READY);
    expect(document.title).toBe("Your report is ready · Live scores · pushgate");
    navigate("#/queue");
    expect(document.title).toBe("Your report is ready · Waiting room · pushgate");
    navigate("#/results");
    expect(document.title).toBe("My results · pushgate");
    navigate("#/scores"); // seen: no notice again
    expect(document.title).toBe("Live scores · pushgate");
  });
});

describe("focus after an action", () => {
  it("lands on the fan's place after Join the queue, not at the top of the page", async () => {
    const api = fakeApi({ myPlace: async () => undefined, joinQueue: async () => PLACE });
    navigate("#/queue");
    const { server } = await renderOnKit(<App config={pageConfig({})} />, { api });
    await onServer(server, () => void fireEvent.click(screen.getByRole("button", { name: "Join the queue" })));
    const heading = screen.getByRole("heading", { level: 2, name: "The Finals" });
    expect(document.activeElement).toBe(heading);
    expect(heading.getAttribute("tabindex")).toBe("-1"); // focusable by script, not an extra tab stop
  });

  it("lands on the list of reports after Get my contest report", async () => {
    const api = fakeApi({ requestReport: async () => JOB });
    navigate("#/results");
    const { server } = await renderOnKit(<App config={pageConfig({})} />, { api });
    await onServer(server, () => void fireEvent.click(screen.getByRole("button", { name: "Get my contest report" })));
    expect(document.activeElement).toBe(screen.getByRole("list", { name: "Your reports" }));
  });
});

describe("queue milestones", () => {
  it("are what a screen reader hears as the line moves, not every count", async () => {
    expect([2_000, 1_000, 999, 500, 120, 100, 51, 50, 11, 10, 6, 5, 1, 0].map(queueMilestone)).toEqual([
      undefined,
      1_000,
      1_000,
      500,
      500,
      100,
      100,
      50,
      50,
      10,
      10,
      5,
      5,
      0,
    ]);
    // At the turn the page asks for the admission; it stays pending here.
    const api = fakeApi({ myPlace: async () => PLACE, admission: () => new Promise(() => {}) });
    navigate("#/queue");
    const { server } = await renderOnKit(<App config={pageConfig({})} />, { api });
    const announcer = screen.getByTestId("queue-announcer");
    expect(announcer.textContent).toBe(milestoneText(50));
    const heard = new Set<string>();
    for (let serving = 101; serving <= 151; serving++) {
      await publishOn(server, "queue/e1", {
        servingNumber: serving,
        ticketsIssued: 500,
        admittedPerMinute: 10,
        phase: "open",
        opensAt: PLACE.opensAt,
        name: "The Finals",
      });
      heard.add(announcer.textContent ?? "");
    }
    // 51 moves of the line, five things said.
    expect([...heard]).toEqual([
      "50 or fewer people ahead of you.",
      "10 or fewer people ahead of you.",
      "5 or fewer people ahead of you.",
      "No one is ahead of you any more: you're next.",
      "It's your turn. Continue to tickets.",
    ]);
  });
});

describe("score announcements", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse("2026-11-22T12:00:00.000Z") });
  });

  const said = () => screen.getByTestId("score-announcer").textContent;
  const score = (gameId: string, home: number, away: number, extra: Partial<ScoreData> = {}): ScoreData => ({
    home,
    away,
    teams: TEAMS[gameId],
    ...extra,
  });

  it("say nothing of a game the fan does not follow", async () => {
    const { server } = await renderOnKit(<ScoreAnnouncer />);
    await publishOn(server, "game/g1", score("g1", 0, 0));
    await publishOn(server, "game/g1", score("g1", 7, 0, { lastPlay: "Touchdown" }));
    act(() => vi.advanceTimersByTime(SCORE_ANNOUNCEMENT_GAP_MS));
    expect(said()).toBe("");
    expect(server.subscribers("game/g1")).toBe(0);
  });

  it("say a followed game's score changes, at most one announcement every 15 s, never a clock tick", async () => {
    act(() => setFollowed("g1", true));
    act(() => setFollowed("g2", true));
    const { server } = await renderOnKit(<ScoreAnnouncer />);
    expect(server.subscribers("game/g1")).toBe(1);
    await publishOn(server, "game/g1", score("g1", 0, 0, { clock: "15:00" }));
    await publishOn(server, "game/g2", score("g2", 3, 3));
    act(() => vi.advanceTimersByTime(0));
    expect(said()).toBe(""); // the first score seen is not news

    await publishOn(server, "game/g1", score("g1", 0, 0, { clock: "14:10" }));
    act(() => vi.advanceTimersByTime(0));
    expect(said()).toBe(""); // the clock moved, the score did not

    await publishOn(server, "game/g1", score("g1", 7, 0, { lastPlay: "Touchdown" }));
    act(() => vi.advanceTimersByTime(0));
    expect(said()).toBe("Hawks 7, Bears 0. Touchdown");

    // Within the gap: gathered, the newest per game, said together when the gap is over.
    act(() => vi.advanceTimersByTime(2_000));
    await publishOn(server, "game/g1", score("g1", 8, 0, { lastPlay: "Extra point" }));
    await publishOn(server, "game/g2", score("g2", 6, 3, { lastPlay: "Field goal" }));
    await publishOn(server, "game/g1", score("g1", 8, 3, { lastPlay: "Safety" }));
    act(() => vi.advanceTimersByTime(SCORE_ANNOUNCEMENT_GAP_MS - 2_001));
    expect(said()).toBe("Hawks 7, Bears 0. Touchdown");
    act(() => vi.advanceTimersByTime(1));
    expect(said()).toBe("Hawks 8, Bears 3. Safety Lions 6, Wolves 3. Field goal");
  });
});

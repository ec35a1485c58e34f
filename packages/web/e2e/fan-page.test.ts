/**
 * The fan's page end to end, in real Chromium against the local cloud: a score
 * published over HTTP reaches the scoreboard within a second; the waiting room
 * follows the queue until the fan is admitted; a requested report becomes
 * downloadable; with the gateway down the page polls S3 snapshots and still
 * shows new scores, and goes back to Live with the last score right.
 *
 * One cloud, one web app and one Chromium for the whole file (the machine has
 * two cores shared with others); every wait is on a DOM condition, never a sleep.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  childProcesses,
  CHROMIUM,
  hasChromium,
  imgDir,
  isRunning,
  openFan,
  operator,
  otherFansJoin,
  startStack,
  type Stack,
} from "./harness";

/** The bound the issue sets: POST to the score on screen. */
const LATENCY_BOUND_MS = 1_000;
/** Generous waits for DOM conditions on a loaded two-core machine. */
const DOM_WAIT_MS = 20_000;

if (!hasChromium) console.warn(`packages/web/e2e: skipped, ${CHROMIUM} is missing (apt-get install -y chromium; CI installs it)`);

describe.skipIf(!hasChromium)("the fan's page in Chromium against the local cloud", () => {
  let stack: Stack;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    mkdirSync(imgDir, { recursive: true });
    stack = await startStack();
    // The operator lists today's games (PUT /games/{id}); the page finds them on games/all.
    for (const gameId of ["g1", "g2"]) {
      await operator(
        stack.endpoints,
        `/games/${gameId}`,
        {
          home: { name: "Home", shortName: "HOM", colour: "#1f6feb" },
          away: { name: "Away", shortName: "AWY", colour: "#d1242f" },
          startsAt: new Date().toISOString(),
          status: "live",
        },
        "PUT",
      );
    }
    ({ page, problems } = await openFan(stack, "scores", { width: 1024, height: 720 }));
    // The first load through Vite's dev server can be slow (dependency pre-bundling).
    await waitForBadge(page, "live", 60_000);
  });

  afterAll(async () => {
    if (!stack) return;
    const pids = stack.pids;
    await stack.stop();
    const left = pids.filter(isRunning);
    const children = childProcesses().filter((child) => /chrom|java/i.test(child.command));
    expect(left, "processes of the stack still running after stop").toEqual([]);
    expect(children, "chromium or java children still running after stop").toEqual([]);
  });

  it("shows a score published over HTTP within a second of the POST", async () => {
    await goTo(page, "scores");
    // A first score proves the page holds game/g1 on the socket (and warms the handlers).
    await operator(stack.endpoints, "/games/g1/score", {
      home: 3,
      away: 0,
      period: "Q1",
      clock: "09:12",
      lastPlay: "Field goal from 38 yards",
    });
    await waitForText(page, "score-g1", "3–0");

    const latencyMs = await measurePostToDom(page, () =>
      operator(stack.endpoints, "/games/g1/score", {
        home: 7,
        away: 3,
        period: "Q2",
        clock: "08:41",
        lastPlay: "Touchdown: 12-yard pass to the corner",
      }),
    );
    console.log(`POST /games/g1/score -> score on screen: ${latencyMs} ms (bound ${LATENCY_BOUND_MS} ms)`);
    expect(latencyMs).toBeLessThan(LATENCY_BOUND_MS);

    expect(await text(page, "last-play-g1")).toBe("Last play: Touchdown: 12-yard pass to the corner");
    expect(await text(page, "clock-g1")).toBe("Q2 · 08:41");
    expect(await page.getAttribute("[data-testid=score-g1]", "aria-label")).toBe("Home 7, Away 3");
    expect(problems).toEqual([]);

    // A second game, so the scoreboard shows real data on both cards.
    await operator(stack.endpoints, "/games/g2/score", {
      home: 21,
      away: 24,
      period: "Q4",
      clock: "01:12",
      lastPlay: "Field goal from 41 yards",
    });
    await waitForText(page, "score-g2", "21–24");
    // (The README's scoreboard and report screenshots are games-layout.test.ts's, with described games of every status.)
  }, 60_000);

  it("walks the waiting room: pre-queue countdown, a drawn place at opening, admitted with a token that verifies", async () => {
    // The queue opens in a few seconds; twelve fans join the pre-queue before ours.
    const opensAt = new Date(Date.now() + 15_000).toISOString();
    await operator(stack.endpoints, "/queues/e1", { name: "The Finals, Wembley", opensAt, saleUrl: "https://tickets.example/buy" }, "PUT");
    await otherFansJoin(stack.endpoints, "e1", 12);
    const fan = await openFan(stack, "queue");
    try {
      const queuePage = fan.page;
      await waitForBadge(queuePage, "live", 60_000);
      await queuePage.click("[data-testid=join-queue]");
      await queuePage.waitForSelector("[data-testid=queue-countdown]", { timeout: DOM_WAIT_MS });
      expect(await text(queuePage, "queue-prequeue")).toContain("everyone here gets a random place");
      expect(await text(queuePage, "queue-countdown")).toMatch(/^0:\d\d$/);

      // The scheduler's run waits for opensAt and draws; the page hears the opening and fetches its drawn place.
      await stack.cloud.runSchedule("queueTick");
      await queuePage.waitForSelector("[data-testid=queue-ticket]", { timeout: DOM_WAIT_MS });
      const ticket = Number(await text(queuePage, "queue-ticket"));
      expect(ticket).toBeGreaterThanOrEqual(1);
      expect(ticket).toBeLessThanOrEqual(13);
      expect(await queuePage.getAttribute("[data-testid=people-ahead]", "data-count")).toBe(String(ticket - 1));
      await queuePage.screenshot({ path: join(imgDir, "waiting-room.png"), fullPage: true });

      // A reload finds the same place (GET .../me), without joining again.
      await queuePage.reload();
      await waitForText(queuePage, "queue-ticket", String(ticket));

      if (ticket > 1) {
        await operator(stack.endpoints, "/queues/e1/advance", { by: ticket - 1 });
        await waitForAttribute(queuePage, "people-ahead", "data-count", "0");
      }
      await operator(stack.endpoints, "/queues/e1/advance", { by: 1 });
      await queuePage.waitForSelector("[data-testid=continue-to-tickets]", { timeout: DOM_WAIT_MS });
      expect(await text(queuePage, "queue-admitted")).toContain("You're in!");
      expect(await queuePage.title()).toBe("It's your turn · Waiting room · pushgate");
      // Focus moves to the next step, for keyboard and screen-reader users.
      expect(await queuePage.evaluate(() => document.activeElement?.textContent)).toBe("Continue to tickets");

      const token = (await queuePage.getAttribute("[data-testid=continue-to-tickets]", "data-token"))!;
      expect(await queuePage.getAttribute("[data-testid=continue-to-tickets]", "href")).toBe(
        `https://tickets.example/buy#admission=${encodeURIComponent(token)}`,
      );
      const jwks = createRemoteJWKSet(new URL(`${stack.endpoints.httpApiUrl}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(token, jwks, { algorithms: ["ES256"] });
      expect(payload).toMatchObject({ eventId: "e1", ticket });
      // GET .../me answers 404 before the fan joined (the contract); Chromium logs every 4xx it loads.
      expect(fan.problems.filter((problem) => !/status of 404 .*\/queues\/e1\/me\)$/.test(problem))).toEqual([]);
    } finally {
      await fan.context.close();
    }
  }, 120_000);

  it("turns a requested report from pending into a download with the right JSON", async () => {
    await goTo(page, "results");
    // The worker can finish within a few hundred ms, so record every status the row shows
    // from its first render rather than hoping to catch "pending" with a poll.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { reportStatuses: string[] }).reportStatuses = seen;
      const record = () => {
        const status = document.querySelector("[data-testid=report]")?.getAttribute("data-status");
        if (status && seen[seen.length - 1] !== status) seen.push(status);
      };
      new MutationObserver(record).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ["data-status"],
      });
    });
    await page.click("[data-testid=request-report]");
    const link = await page.waitForSelector("[data-testid=report-download]", { timeout: DOM_WAIT_MS });
    const statuses = await page.evaluate(() => (window as unknown as { reportStatuses: string[] }).reportStatuses);
    expect(statuses).toEqual(["pending", "ready"]);

    const jobId = await page.getAttribute("[data-testid=report]", "data-job-id");
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    const href = await link.getAttribute("href");
    expect(href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.+X-Amz-Signature=/);
    expect(await link.textContent()).toBe("Download report");

    // Fetched by the page itself: the presigned URL must work cross-origin from the browser (bucket CORS).
    const fetched = await page.evaluate(async (url) => {
      const response = await fetch(url);
      return { status: response.status, body: await response.text() };
    }, href!);
    expect(fetched.status).toBe(200);
    const report = JSON.parse(fetched.body) as {
      kind: string;
      games: { gameId: string; score: { home: number; away: number }; leader: string; scoring: unknown[] }[];
    };
    expect(report).toMatchObject({ kind: "contest-report" });
    expect(fetched.body).not.toContain(jobId);
    const games = Object.fromEntries(report.games.map((game) => [game.gameId, game]));
    expect(games.g1).toMatchObject({ score: { home: 7, away: 3 }, period: "Q2", leader: "home" });
    expect(games.g2).toMatchObject({ score: { home: 21, away: 24 }, period: "Q4", leader: "away" });
    // The page shows it readable too.
    await page.waitForSelector("[data-testid=report-view] [data-testid=report-game-g2]");

    // A click saves a file rather than leaving the app for the raw JSON (the presigned URL sets Content-Disposition).
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: DOM_WAIT_MS }), link.click()]);
    expect(download.suggestedFilename()).toBe(`contest-report-${jobId}.json`);
    expect(page.url()).toContain("#/results");
    expect(problems).toEqual([]);
  }, 60_000);

  it("polls snapshots while the gateway is down and goes back to Live with the last score", async () => {
    await goTo(page, "scores");
    await waitForBadge(page, "live", DOM_WAIT_MS);
    // The page holds game/g1 on the socket again (it was unsubscribed while on another view).
    await operator(stack.endpoints, "/games/g1/score", { home: 7, away: 3, period: "Q2", clock: "02:00", lastPlay: "Timeout" });
    await waitForText(page, "clock-g1", "Q2 · 02:00");
    await stack.cloud.stopGateway();
    await waitForBadge(page, "polling", DOM_WAIT_MS);
    expect(await text(page, "connection-badge-text")).toBe("A few seconds late");

    // Published while the socket is down: only the presigned S3 snapshots can bring these.
    await operator(stack.endpoints, "/games/g1/score", { home: 10, away: 3, period: "Q3", clock: "11:02", lastPlay: "Field goal" });
    await waitForScoreWhilePolling(page, "10–3");
    await operator(stack.endpoints, "/games/g1/score", {
      home: 17,
      away: 3,
      period: "Q3",
      clock: "04:20",
      lastPlay: "Interception returned for a touchdown",
    });
    await waitForScoreWhilePolling(page, "17–3");
    expect(await text(page, "last-play-g1")).toBe("Last play: Interception returned for a touchdown");

    // The client retries the socket with backoff (at most 20 s a try): wait for Live, not for a time.
    await stack.cloud.startGateway();
    await waitForBadge(page, "live", 45_000);
    expect(await text(page, "connection-badge-text")).toBe("Live");
    expect(await text(page, "score-g1")).toBe("17–3");
    expect(await text(page, "clock-g1")).toBe("Q3 · 04:20");
    expect(await page.$("[data-testid=connection-hint]")).toBeNull();

    // Back on push: the page resubscribed, so the next score arrives over the socket again.
    await operator(stack.endpoints, "/games/g1/score", { home: 17, away: 10, period: "Q4", clock: "14:55", lastPlay: "Touchdown run" });
    await waitForText(page, "score-g1", "17–10");
    expect(await page.getAttribute("[data-testid=connection-badge]", "data-state")).toBe("live");
    // console.warn from the client about the dropped socket is expected here; page errors are not.
    expect(problems.filter((problem) => problem.startsWith("pageerror"))).toEqual([]);
  }, 90_000);
});

async function goTo(page: Page, route: "scores" | "queue" | "results"): Promise<void> {
  await page.evaluate((route) => (location.hash = `#/${route}`), route);
  const landmark = { scores: "[data-testid=game-g1]", queue: "#waiting-room-title", results: "[data-testid=request-report]" }[route];
  await page.waitForSelector(landmark, { timeout: DOM_WAIT_MS });
}

async function text(page: Page, testId: string): Promise<string | null> {
  return page.textContent(`[data-testid=${testId}]`);
}

async function waitForBadge(page: Page, state: string, timeout: number): Promise<void> {
  await page.waitForSelector(`[data-testid=connection-badge][data-state=${state}]`, { timeout });
}

async function waitForText(page: Page, testId: string, expected: string): Promise<void> {
  await page.waitForFunction(
    ({ testId, expected }) => document.querySelector(`[data-testid=${testId}]`)?.textContent === expected,
    { testId, expected },
    { timeout: DOM_WAIT_MS },
  );
}

async function waitForAttribute(page: Page, testId: string, name: string, expected: string): Promise<void> {
  await page.waitForFunction(
    ({ testId, name, expected }) => document.querySelector(`[data-testid=${testId}]`)?.getAttribute(name) === expected,
    { testId, name, expected },
    { timeout: DOM_WAIT_MS },
  );
}

/** The score shows `expected` while the badge still says Polling (so it came through a snapshot, not the socket). */
async function waitForScoreWhilePolling(page: Page, expected: string): Promise<void> {
  const badgeWhenSeen = await page.waitForFunction(
    (expected) =>
      document.querySelector("[data-testid=score-g1]")?.textContent === expected &&
      document.querySelector("[data-testid=connection-badge]")?.getAttribute("data-state"),
    expected,
    { timeout: DOM_WAIT_MS },
  );
  expect(await badgeWhenSeen.jsonValue()).toBe("polling");
}

/**
 * Milliseconds from just before the POST to the moment the page's DOM shows
 * 7–3 for g1. A MutationObserver installed in the page before the POST stamps
 * the change itself, so the round trip to the test process is not counted
 * (page and test share the machine's clock); waitForFunction waits for the stamp.
 */
async function measurePostToDom(page: Page, post: () => Promise<unknown>): Promise<number> {
  await page.evaluate(() => {
    const w = window as unknown as { scoreShownAt?: number };
    delete w.scoreShownAt;
    const check = () => {
      if (w.scoreShownAt === undefined && document.querySelector("[data-testid=score-g1]")?.textContent === "7–3") {
        w.scoreShownAt = Date.now();
        observer.disconnect();
      }
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    check();
  });
  // The observer is in place before the POST: the score must not show yet.
  expect(await text(page, "score-g1")).not.toBe("7–3");
  const postedAt = Date.now();
  await post();
  const shown = await page.waitForFunction(() => (window as unknown as { scoreShownAt?: number }).scoreShownAt ?? false, undefined, {
    timeout: DOM_WAIT_MS,
  });
  return ((await shown.jsonValue()) as number) - postedAt;
}

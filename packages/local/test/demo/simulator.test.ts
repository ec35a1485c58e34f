/**
 * The demo simulator runs for hours: it opens its queue once, keeps a queue
 * that an earlier run opened, and renews its own fan session (with the old
 * token, so it stays the same fan) before it expires, instead of freezing
 * when the first token runs out after 30 minutes.
 */
import { describe, expect, it } from "vitest";
import { phaseAt, type FootballTiming } from "../../src/demo/football";
import { startSimulator } from "../../src/demo/simulator";

interface Call {
  method: string;
  path: string;
  authorization?: string;
}

/** A stand-in HTTP API that records calls; sessions expire 30 minutes after the fake now. */
function fakeApi(now: () => number, queueStatus = 200, refuse: { jobs?: number; renewals?: number } = {}) {
  const calls: Call[] = [];
  let sessions = 0;
  const fetch = (async (url: string, init: RequestInit) => {
    const path = new URL(url).pathname;
    const headers = init.headers as Record<string, string>;
    calls.push({ method: init.method!, path, ...(headers.authorization && { authorization: headers.authorization }) });
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
    if (path === "/session" && headers.authorization && refuse.renewals)
      return json(refuse.renewals, { error: { code: "SESSION_ENDED", message: "ended" } });
    if (path === "/jobs" && refuse.jobs) return json(refuse.jobs, { error: { code: "RATE_LIMITED", message: "quota" } });
    if (path === "/session")
      return json(200, { token: `t${++sessions}`, fanId: "f", expiresAt: new Date(now() + 30 * 60_000).toISOString() });
    if (init.method === "PUT" && path.startsWith("/queues/"))
      return json(queueStatus, queueStatus === 200 ? {} : { error: { code: "CONFLICT", message: "opened" } });
    return json(200, {});
  }) as typeof globalThis.fetch;
  return { calls, fetch };
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe("the demo simulator", () => {
  it("renews its fan session with the old token before it expires, so jobs keep working for hours", async () => {
    let nowMs = Date.parse("2026-06-01T08:00:00Z");
    const api = fakeApi(() => nowMs);
    const jobs = () => api.calls.filter((call) => call.path === "/jobs");
    const simulator = startSimulator({ httpApiUrl: "http://api.test", operatorKey: "k", tickMs: 2, fetch: api.fetch, now: () => nowMs });
    try {
      await until(() => jobs().length >= 1);
      const firstToken = jobs()[0]!.authorization;
      nowMs += 29 * 60_000; // inside the renewal window of the first token
      const seen = jobs().length;
      await until(() => jobs().length > seen + 1);
      const renewal = api.calls.find((call) => call.path === "/session" && call.authorization === firstToken);
      expect(renewal, "a renewal sending the old token").toBeDefined();
      expect(jobs().at(-1)!.authorization).not.toBe(firstToken);
    } finally {
      await simulator.stop();
    }
  });

  it("past the per-fan job quota (429), or when its session ended (401 on renewal), it carries on as a new fan", async () => {
    let nowMs = Date.parse("2026-06-01T08:00:00Z");
    const quota = fakeApi(() => nowMs, 200, { jobs: 429 });
    const jobs = () => quota.calls.filter((call) => call.path === "/jobs");
    const lines: string[] = [];
    const limited = startSimulator({
      httpApiUrl: "http://api.test",
      operatorKey: "k",
      tickMs: 2,
      fetch: quota.fetch,
      now: () => nowMs,
      log: (line) => lines.push(line),
    });
    try {
      await until(() => jobs().length >= 2);
      expect(jobs()[1]!.authorization).not.toBe(jobs()[0]!.authorization);
      expect(lines.filter((line) => line.includes("/jobs"))).toEqual([]);
    } finally {
      await limited.stop();
    }
    const ended = fakeApi(() => nowMs, 200, { renewals: 401 });
    const endedJobs = () => ended.calls.filter((call) => call.path === "/jobs");
    const renewing = startSimulator({ httpApiUrl: "http://api.test", operatorKey: "k", tickMs: 2, fetch: ended.fetch, now: () => nowMs });
    try {
      await until(() => endedJobs().length >= 1);
      const first = endedJobs()[0]!.authorization;
      nowMs += 29 * 60_000;
      const seen = endedJobs().length;
      await until(() => endedJobs().length > seen + 1);
      expect(endedJobs().at(-1)!.authorization).not.toBe(first);
    } finally {
      await renewing.stop();
    }
  });

  it("opens its queue once, and keeps going when an earlier run already opened it", async () => {
    const api = fakeApi(() => Date.now(), 409);
    const lines: string[] = [];
    const simulator = startSimulator({
      httpApiUrl: "http://api.test",
      operatorKey: "k",
      tickMs: 2,
      fetch: api.fetch,
      log: (line) => lines.push(line),
    });
    try {
      await until(() => api.calls.filter((call) => call.path === "/queues/e1/join").length >= 4);
      expect(api.calls.filter((call) => call.method === "PUT" && call.path.startsWith("/queues/"))).toHaveLength(1);
      expect(lines.some((line) => line.includes("already open"))).toBe(true);
      expect(lines.some((line) => line.includes("answered"))).toBe(false);
    } finally {
      await simulator.stop();
    }
  });
});

describe("the demo's football", () => {
  const timing: FootballTiming = { quarterSeconds: 180, halftimeSeconds: 60 };

  it("goes through four quarters and half-time to a final whistle, never back to Q1", () => {
    const kickoff = Date.parse("2026-06-21T18:00:00Z");
    const seen: string[] = [];
    for (let s = -30; s <= 4 * 180 + 60 + 600; s += 5) {
      const phase = phaseAt(kickoff, kickoff + s * 1000, timing);
      const key = `${phase.status} ${phase.period}`;
      if (seen.at(-1) !== key) seen.push(key);
    }
    expect(seen).toEqual(["scheduled Q1", "live Q1", "live Q2", "halftime Q2", "live Q3", "live Q4", "final Q4"]);
    expect(phaseAt(kickoff, kickoff + 10_000, timing).secondsLeft).toBe(170);
    expect(phaseAt(kickoff, kickoff + 10 * 3600_000, timing).status).toBe("final");
  });
});

/** A stand-in HTTP API for the games: records what the simulator describes and scores; time moves 5 s per call. */
function gamesApi(startMs: number) {
  let nowMs = startMs;
  const puts: { gameId: string; body: Record<string, any> }[] = [];
  const scores: { gameId: string; body: Record<string, any> }[] = [];
  const deletes: string[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    nowMs += 5000;
    const path = new URL(url).pathname;
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
    const game = /^\/games\/([^/]+)/.exec(path)?.[1];
    if (path === "/session") return json(200, { token: "t", fanId: "f", expiresAt: new Date(nowMs + 30 * 60_000).toISOString() });
    if (game && init.method === "PUT") puts.push({ gameId: game, body: JSON.parse(String(init.body)) });
    if (game && init.method === "POST") scores.push({ gameId: game, body: JSON.parse(String(init.body)) });
    if (game && init.method === "DELETE") deletes.push(game);
    return json(200, {});
  }) as typeof globalThis.fetch;
  return { fetch, now: () => nowMs, puts, scores, deletes };
}

describe("the demo simulator's games", () => {
  it("plays believable games for hours: 2/3/6/7/8-point scores, quarters in order, a final, then the next game scheduled", async () => {
    const api = gamesApi(Date.parse("2026-06-21T18:00:00Z"));
    let seed = 7;
    // A small deterministic generator, so the game played is the same every run.
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    const simulator = startSimulator({
      httpApiUrl: "http://api.test",
      operatorKey: "k",
      tickMs: 1,
      fetch: api.fetch,
      now: api.now,
      random,
    });
    try {
      // Hours of game time (each call moves the clock 5 s).
      await until(() => api.now() - Date.parse("2026-06-21T18:00:00Z") > 3 * 3600_000);
    } finally {
      await simulator.stop();
    }
    const games = [...new Set(api.puts.map((put) => put.gameId))];
    expect(games.length).toBeGreaterThanOrEqual(8);
    const finished = games.filter((id) => api.puts.some((put) => put.gameId === id && put.body.status === "final"));
    expect(finished.length).toBeGreaterThanOrEqual(6);
    for (const id of finished) {
      const described = api.puts.filter((put) => put.gameId === id).map((put) => `${put.body.status} ${put.body.clock.period}`);
      expect(described.filter((key) => key !== "scheduled Q1")).toEqual([
        "live Q1",
        "live Q2",
        "halftime Q2",
        "live Q3",
        "live Q4",
        "final Q4",
      ]);
      const played = api.scores.filter((score) => score.gameId === id).map((score) => score.body);
      let previous: Record<string, any> = { home: 0, away: 0 };
      for (const score of played) {
        for (const side of ["home", "away"] as const) expect([0, 2, 3, 6, 7, 8]).toContain(score[side] - previous[side]);
        previous = score;
      }
      // A football score, not a basketball one.
      expect(previous.home + previous.away).toBeLessThan(120);
    }
    // A finished game is unlisted once the slot's next game is scheduled (the last two may still be on show).
    for (const id of finished.slice(0, -2)) expect(api.deletes).toContain(id);
    // Each game has real teams, and the next game is announced before it kicks off.
    expect(api.puts[0]!.body.home).toMatchObject({ name: expect.any(String), shortName: expect.stringMatching(/^[A-Z]{3}$/) });
    expect(api.puts.some((put) => put.body.status === "scheduled")).toBe(true);
  }, 60_000);
});

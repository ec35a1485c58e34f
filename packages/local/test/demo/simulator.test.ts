/**
 * The demo simulator runs for hours: it opens its queue once, keeps a queue
 * that an earlier run opened, and renews its own fan session (with the old
 * token, so it stays the same fan) before it expires, instead of freezing
 * when the first token runs out after 30 minutes.
 */
import { describe, expect, it } from "vitest";
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
    if (init.method === "PUT") return json(queueStatus, queueStatus === 200 ? {} : { error: { code: "CONFLICT", message: "opened" } });
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
      expect(api.calls.filter((call) => call.method === "PUT")).toHaveLength(1);
      expect(lines.some((line) => line.includes("already open"))).toBe(true);
      expect(lines.some((line) => line.includes("answered"))).toBe(false);
    } finally {
      await simulator.stop();
    }
  });
});

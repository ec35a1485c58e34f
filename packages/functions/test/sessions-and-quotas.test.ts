/**
 * Sessions and quotas end to end through the local cloud's HTTP API (issue
 * 15, "Show"): a token renewed twice is refused the second time, the 11th job
 * and the 11th join of a fan are answered 429 RATE_LIMITED with Retry-After,
 * and a burst of anonymous sessions from one address is throttled once the
 * stage counts loopback callers. The windows are a day long here so that no
 * window turns mid-test; the exact Retry-After arithmetic is tested with a
 * moved clock in packages/core/test/sessions.test.ts.
 */
import type { SessionResponse } from "@pushgate/core/protocol";
import { startLocalCloud, type LocalCloud } from "@pushgate/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const DAY = 86_400;
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({
    environment: {
      POWERTOOLS_LOG_LEVEL: "SILENT",
      PUSHGATE_QUOTA_SESSIONS_FROM_LOOPBACK: "1",
      PUSHGATE_QUOTA_SESSIONS_PER_ADDRESS: "5",
      PUSHGATE_QUOTA_SESSIONS_WINDOW_SECONDS: String(DAY),
      PUSHGATE_QUOTA_JOBS_WINDOW_SECONDS: String(DAY),
      PUSHGATE_QUOTA_JOINS_WINDOW_SECONDS: String(DAY),
    },
  });
});

afterAll(async () => {
  await cloud?.stop();
});

async function http(method: string, path: string, options: { body?: unknown; token?: string; operator?: boolean } = {}) {
  const response = await fetch(`${cloud.endpoints.httpApiUrl}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(options.token && { authorization: `Bearer ${options.token}` }),
      ...(options.operator && { "x-operator-key": cloud.endpoints.operatorKey }),
    },
    body: JSON.stringify(options.body ?? {}),
  });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as Record<string, any> };
}

/** The five sessions this address may start today; the tests share them. */
const sessions: SessionResponse[] = [];

describe("sessions and quotas over HTTP", () => {
  it("a burst of anonymous sessions from one address is throttled: the 6th is 429 RATE_LIMITED with Retry-After", async () => {
    for (let i = 0; i < 5; i++) {
      const created = await http("POST", "/session");
      expect(created.status).toBe(200);
      sessions.push(created.body as SessionResponse);
    }
    const refused = await http("POST", "/session");
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({
      code: "RATE_LIMITED",
      message: expect.stringMatching(/^5 new session\(s\) per day|^5 new session\(s\) per 24 hours/),
    });
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(DAY);
    expect(refused.body.error.retryAfterSeconds).toBe(Number(refused.retryAfter));
  });

  it("a token is renewed once; the second renewal is 401 TOKEN_ALREADY_RENEWED and the session is revoked", async () => {
    const first = sessions[0]!;
    const renewed = await http("POST", "/session", { token: first.token });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ fanId: first.fanId, sessionEndsAt: first.sessionEndsAt });
    const replay = await http("POST", "/session", { token: first.token });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe("TOKEN_ALREADY_RENEWED");
    const next = await http("POST", "/session", { token: renewed.body.token });
    expect(next.status).toBe(401);
    expect(next.body.error.code).toBe("SESSION_ENDED");
  });

  it("the 11th report job of a fan is 429 RATE_LIMITED with Retry-After; another fan is not affected", async () => {
    const { token } = sessions[1]!;
    for (let i = 0; i < 10; i++) expect((await http("POST", "/jobs", { body: { kind: "contest-report" }, token })).status).toBe(202);
    const refused = await http("POST", "/jobs", { body: { kind: "contest-report" }, token });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({
      code: "RATE_LIMITED",
      message: expect.stringMatching(/^a fan may create 10 report job\(s\) per/),
    });
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await http("POST", "/jobs", { body: { kind: "contest-report" }, token: sessions[2]!.token })).status).toBe(202);
    await cloud.drained();
  });

  it("the 11th queue join of a fan is 429 RATE_LIMITED with Retry-After", async () => {
    expect(
      (
        await http("PUT", "/queues/quota-e1", {
          body: { name: "Quota test", opensAt: new Date(Date.now() + 3_600_000).toISOString() },
          operator: true,
        })
      ).status,
    ).toBe(200);
    const { token } = sessions[3]!;
    for (let i = 0; i < 10; i++) expect((await http("POST", "/queues/quota-e1/join", { token })).status).toBe(200);
    const refused = await http("POST", "/queues/quota-e1/join", { token });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("RATE_LIMITED");
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
  });
});

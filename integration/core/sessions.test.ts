/**
 * Sessions with an end and quotas, through the real adapters on DynamoDB
 * Local (the ledger's and the counters' conditional writes are the thing under
 * test) with a clock the tests move: a renewal chain stops at the session's
 * absolute lifetime, a token renews once, a second renewal revokes the
 * session, and each quota refuses the use past its limit until its window turns.
 */
import { createTables, startDynamoDbLocal, type DynamoDbLocal } from "@pushgate/local/dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDocumentClient } from "@pushgate/core/adapters/aws-clients";
import { DynamoQuotaCounter } from "@pushgate/core/adapters/dynamo-quotas";
import { DynamoSessionLedger } from "@pushgate/core/adapters/dynamo-sessions";
import { createTokenService } from "@pushgate/core/auth";
import { PushgateError } from "@pushgate/core/errors";
import type { SessionResponse } from "@pushgate/core/protocol";
import { topology } from "@pushgate/core/topology";
import { enforceQuota, type QuotaSettings } from "@pushgate/core/usecases/quotas";
import { startSession, type SessionDeps } from "@pushgate/core/usecases/session";

const region = "us-east-1";
const HOUR = 3600;
// On the hour, a day ahead of the real clock: the ledger and quota items carry TTLs from this clock, and DynamoDB
// Local's own TTL sweep would delete items already "expired" by real time in the middle of a test.
const t0 = new Date((Math.ceil(Date.now() / (HOUR * 1000)) + 24) * HOUR * 1000);
let dynamo: DynamoDbLocal;
let ledger: DynamoSessionLedger;
let quotaCounter: DynamoQuotaCounter;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
  dynamo = await startDynamoDbLocal({});
  const { tableNames } = await createTables({ endpoint: dynamo.endpoint, topology, stage: "sessions" });
  const db = dynamoDocumentClient({ region, dynamodbEndpoint: dynamo.endpoint });
  ledger = new DynamoSessionLedger(db, () => tableNames.sessions!);
  quotaCounter = new DynamoQuotaCounter(db, () => tableNames.quotas!);
});

afterAll(async () => {
  await dynamo?.stop();
});

const quotas: QuotaSettings = {
  jobsPerFan: { limit: 10, windowSeconds: HOUR },
  joinsPerFan: { limit: 10, windowSeconds: 60 },
  sessionsPerAddress: { limit: 3, windowSeconds: 60 },
  sessionsFromLoopback: false,
};

let stages = 0;

/** A stage whose clock the test moves, with the default 30-minute tokens and 12-hour sessions. */
function stage(options: { sessionMaxSeconds?: number; quotas?: QuotaSettings } = {}) {
  const now = { value: t0 };
  const clock = { now: () => now.value.getTime() };
  const tokens = createTokenService({
    secret: "a-test-secret-that-is-at-least-32-bytes-long",
    issuer: "pushgate/sessions",
    ttlSeconds: 30 * 60,
    renewalGraceSeconds: HOUR,
    sessionMaxSeconds: options.sessionMaxSeconds ?? 12 * HOUR,
    clock,
  });
  const deps: SessionDeps = { tokens, ledger, quotaCounter, quotas: options.quotas ?? quotas, clock };
  // Every stage starts at t0 and shares the quota table: each gets an address of its own, so one test's
  // sessions never count against another's per-address quota.
  const address = `203.0.113.${++stages}`;
  return {
    deps,
    address,
    at: (secondsAfterStart: number) => void (now.value = new Date(t0.getTime() + secondsAfterStart * 1000)),
    open: (from = address) => startSession(deps, undefined, from),
    renew: (token: string) => startSession(deps, `Bearer ${token}`, address),
  };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PushgateError)
      return { code: error.code, message: error.message, ...(error.details && { details: error.details }) };
    throw error;
  }
  throw new Error("expected a refusal, but it was accepted");
}

const seconds = (iso: string) => Date.parse(iso) / 1000;

describe("sessions with an end", () => {
  it("a renewal chain keeps the fan but stops at the absolute lifetime; no token outlives it", async () => {
    const s = stage();
    let current: SessionResponse = await s.open();
    const end = seconds(current.sessionEndsAt);
    expect(end).toBe(t0.getTime() / 1000 + 12 * HOUR);
    // Renew every 29 minutes, as the client does, until the server says no.
    let renewals = 0;
    let last: Awaited<ReturnType<typeof refusal>> | undefined;
    for (let at = 29 * 60; at < 14 * HOUR; at += 29 * 60) {
      s.at(at);
      try {
        const next = await s.renew(current.token);
        expect(next.fanId).toBe(current.fanId);
        expect(next.sessionEndsAt).toBe(current.sessionEndsAt);
        expect(seconds(next.expiresAt)).toBeLessThanOrEqual(end);
        current = next;
        renewals++;
      } catch (error) {
        last = await refusal(Promise.reject(error));
        break;
      }
    }
    expect(renewals).toBe(24); // 24 x 29 min = 11 h 36 min; the 25th, at 12 h 5 min, is past the end
    expect(seconds(current.expiresAt)).toBe(end); // the last token is cut to the session's end, not a full 30 minutes
    expect(last?.code).toBe("SESSION_ENDED");
    expect(last?.message).toMatch(
      new RegExp(
        `^this session ended at ${new Date(t0.getTime() + 12 * HOUR * 1000).toISOString()}; start a new session with POST /session without an Authorization header`,
      ),
    );
  });

  it("the lifetime is configurable per stage", async () => {
    const s = stage({ sessionMaxSeconds: HOUR });
    const first = await s.open();
    s.at(50 * 60);
    const renewed = await s.renew(first.token);
    expect(renewed.expiresAt).toBe(first.sessionEndsAt);
    s.at(HOUR);
    expect((await refusal(s.renew(renewed.token))).code).toBe("SESSION_ENDED");
  });

  it("a token renews once: the second renewal is refused and revokes the session, so the first renewal's chain stops too", async () => {
    const s = stage();
    const first = await s.open();
    s.at(60);
    const renewed = await s.renew(first.token);
    s.at(120);
    const replay = await refusal(s.renew(first.token));
    expect(replay.code).toBe("TOKEN_ALREADY_RENEWED");
    expect(replay.message).toMatch(/already renewed once.*start a new session with POST \/session/);
    // Whoever holds the renewed token (the fan or a thief) can still use it until it expires, but not renew it.
    expect(await s.deps.tokens.verify(renewed.token)).toBe(first.fanId);
    s.at(180);
    const revoked = await refusal(s.renew(renewed.token));
    expect(revoked.code).toBe("SESSION_ENDED");
    expect(revoked.message).toMatch(/revoked/);
    // Other sessions are untouched.
    const other = await s.open();
    expect((await s.renew(other.token)).fanId).toBe(other.fanId);
  });

  it("of several renewals racing with one token, exactly one gets a token", async () => {
    const s = stage();
    const first = await s.open();
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => s.renew(first.token)));
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
  });
});

describe("quotas", () => {
  it("the 11th job of a fan within an hour is refused with RATE_LIMITED and the seconds until the window turns; the next hour allows again", async () => {
    const s = stage();
    s.at(15 * 60); // a quarter past: 45 minutes of the window left
    for (let i = 0; i < 10; i++) await enforceQuota(s.deps, "jobsPerFan", "fan-jobs");
    const refused = await refusal(enforceQuota(s.deps, "jobsPerFan", "fan-jobs"));
    expect(refused).toEqual({
      code: "RATE_LIMITED",
      message: "a fan may create 10 report job(s) per hour; retry after 2700 s",
      details: { retryAfterSeconds: 2700 },
    });
    await enforceQuota(s.deps, "jobsPerFan", "another-fan");
    s.at(HOUR);
    await enforceQuota(s.deps, "jobsPerFan", "fan-jobs");
  });

  it("the 11th queue join of a fan within a minute is refused", async () => {
    const s = stage();
    for (let i = 0; i < 10; i++) await enforceQuota(s.deps, "joinsPerFan", "fan-joins");
    expect((await refusal(enforceQuota(s.deps, "joinsPerFan", "fan-joins"))).details).toEqual({ retryAfterSeconds: 60 });
  });

  it("a burst of anonymous sessions from one address is throttled; renewals and other addresses are not", async () => {
    const s = stage();
    const sessions = [await s.open("198.51.100.9"), await s.open("198.51.100.9"), await s.open("198.51.100.9")];
    const refused = await refusal(s.open("198.51.100.9"));
    expect(refused.code).toBe("RATE_LIMITED");
    expect(refused.message).toMatch(
      /^3 new session\(s\) per minute may start from one address \(renew your token instead: send it as Bearer\); retry after 60 s$/,
    );
    expect((await s.renew(sessions[0]!.token)).fanId).toBe(sessions[0]!.fanId);
    await s.open("198.51.100.10");
  });

  it("loopback callers are not counted unless the stage says so; a limit of 0 turns a quota off", async () => {
    const s = stage();
    for (let i = 0; i < 5; i++) await s.open("127.0.0.1");
    for (let i = 0; i < 5; i++) await s.open("::1");
    const strict = stage({ quotas: { ...quotas, sessionsFromLoopback: true } });
    for (let i = 0; i < 3; i++) await strict.open("127.0.0.2");
    expect((await refusal(strict.open("127.0.0.2"))).code).toBe("RATE_LIMITED");
    const off = stage({ quotas: { ...quotas, jobsPerFan: { limit: 0, windowSeconds: HOUR } } });
    for (let i = 0; i < 20; i++) await enforceQuota(off.deps, "jobsPerFan", "fan-unlimited");
  });
});

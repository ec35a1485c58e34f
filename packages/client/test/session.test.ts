import { afterEach, describe, expect, it } from "vitest";
import {
  fetchWithSession,
  jwtTimes,
  parseExpiry,
  sessionEndpointTokenProvider,
  TokenKeeper,
  type SessionToken,
  type TokenProvider,
  type TokenReason,
} from "../src/session";
import { SnapshotUrls } from "../src/snapshotUrls";
import { startHarness, type Harness } from "./support/harness";
import { ManualClock } from "./support/manualClock";

let h: Harness;
afterEach(async () => {
  await h?.dispose();
});

describe("session tokens", () => {
  it("renews an expiring token with the old one as Bearer, so the fan id persists", async () => {
    h = await startHarness({ topics: ["game/g1"] }, { tokenTtlMs: 15 * 60_000 });
    await h.goLive();
    expect(h.cloud.sessions).toEqual([{ authorization: undefined, token: "tok-1", fanId: "fan-1" }]);
    // The open socket outlives its token (API Gateway checks it only at $connect)...
    await h.advanceKeepingAlive(20 * 60_000);
    expect(h.client.getState()).toBe("live");
    expect(h.cloud.sessions.length).toBe(1);
    // ...but the next handshake needs a fresh one.
    h.cloud.open[0]!.socket.terminate();
    await h.until(() => h.client.getState() === "reconnecting", "the drop");
    h.clock.advanceToNext();
    await h.until(() => h.client.getState() === "live" && h.cloud.open.length === 1, "live with the new token");
    expect(h.cloud.sessions.slice(1)).toEqual([{ authorization: "Bearer tok-1", token: "tok-2", fanId: "fan-1" }]);
    expect(h.cloud.open[0]!.offeredProtocols).toEqual(["pushgate.v1", "token.tok-2"]);
    expect(h.cloud.refusedHandshakes).toEqual([]); // renewed before, not after, being refused
  });

  it("gets a new token when the handshake is refused, once per outage", async () => {
    h = await startHarness({ topics: ["game/g1"], random: () => 0.5 });
    await h.goLive();
    h.cloud.revokedTokens.add("tok-1"); // e.g. the signing key was rotated
    h.cloud.open[0]!.socket.terminate();
    await h.until(() => h.client.getState() === "reconnecting", "the drop");
    h.clock.advanceToNext();
    await h.until(() => h.cloud.refusedHandshakes.length === 1, "the refusal");
    await h.until(() => h.client.getState() === "polling", "polling after the failed retry");
    h.clock.advance(h.client.connection.getSnapshot().nextRetryAt! - h.clock.now());
    await h.until(() => h.client.getState() === "live", "live with a renewed token");
    expect(h.cloud.sessions.map((s) => s.authorization)).toEqual([undefined, "Bearer tok-1"]);

    // The gateway is down for a while: refusals do not turn into a POST /session per attempt.
    h.cloud.acceptSockets = false;
    h.cloud.open[0]!.socket.terminate();
    for (let refusal = 2; refusal <= 5; refusal++) {
      await h.until(() => h.client.connection.getSnapshot().nextRetryAt !== undefined, "a retry scheduled");
      h.clock.advance(h.client.connection.getSnapshot().nextRetryAt! - h.clock.now());
      await h.until(() => h.cloud.refusedHandshakes.length === refusal, `refusal ${refusal}`);
    }
    expect(h.cloud.sessions.length).toBe(3);
  });

  it("reports a failing session endpoint and retries with backoff", async () => {
    let calls = 0;
    h = await startHarness({
      topics: ["game/g1"],
      tokenProvider: async () => {
        calls++;
        if (calls < 3) throw new Error("session service down");
        return { token: "tok-x", expiresAt: Number.POSITIVE_INFINITY };
      },
    });
    h.cloud.revokedTokens.clear();
    h.client.connect();
    await h.until(() => h.errors.length === 1, "the first failure");
    expect(h.errors[0]).toMatchObject({ code: "SESSION_FAILED", message: expect.stringContaining("session service down") });
    expect(h.client.getState()).toBe("polling");
    h.clock.advance(h.client.connection.getSnapshot().nextRetryAt! - h.clock.now());
    await h.until(() => h.errors.length === 2, "the second failure");
    expect(calls).toBe(2);
  });

  it("reads expiry as ISO, epoch seconds or epoch ms, and from a JWT's exp", () => {
    expect(parseExpiry("2026-11-22T12:00:00.000Z")).toBe(Date.UTC(2026, 10, 22, 12));
    expect(parseExpiry(1_795_348_800)).toBe(1_795_348_800_000);
    expect(parseExpiry(1_795_348_800_000)).toBe(1_795_348_800_000);
    expect(parseExpiry("soon")).toBeUndefined();
    const payload = Buffer.from(JSON.stringify({ sub: "fan-1", exp: 1_795_348_800 })).toString("base64url");
    expect(jwtTimes(`eyJhbGciOiJIUzI1NiJ9.${payload}.sig`)).toEqual({ expiresAt: 1_795_348_800_000 });
    expect(jwtTimes(jwt({ iat: 1_795_347_000, exp: 1_795_348_800 }))).toEqual({
      issuedAt: 1_795_347_000_000,
      expiresAt: 1_795_348_800_000,
    });
    expect(jwtTimes("not-a-jwt")).toEqual({});
  });
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TOKEN_TTL = 30 * MINUTE;

function jwt(claims: Record<string, unknown>): string {
  return `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;
}

/**
 * `POST /session` of a server whose clock is the device's plus `skewMs`: it
 * answers a `Date` header (unless `dateHeader` is false) and a JWT with `iat`
 * and `exp` on its own clock, as the real session route does.
 */
function sessionServer(clock: ManualClock, skewMs: number, options: { dateHeader?: boolean } = {}) {
  const posts: (string | undefined)[] = [];
  const fetch = async (_url: string, init?: RequestInit): Promise<Response> => {
    posts.push((init?.headers as Record<string, string> | undefined)?.authorization);
    const serverNow = clock.now() + skewMs;
    const iat = Math.floor(serverNow / 1000);
    const body = {
      token: jwt({ sub: "fan-1", iat, exp: iat + TOKEN_TTL / 1000, n: posts.length }),
      fanId: "fan-1",
      expiresAt: new Date(iat * 1000 + TOKEN_TTL).toISOString(),
    };
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.dateHeader !== false) headers.date = new Date(serverNow).toUTCString();
    return new Response(JSON.stringify(body), { status: 200, headers });
  };
  return { posts, provider: sessionEndpointTokenProvider({ httpApiUrl: "http://api.test", fetch, clock }) };
}

function keeperOn(clock: ManualClock, provider: TokenProvider) {
  const renewals: TokenReason[] = [];
  const keeper = new TokenKeeper(provider, clock, MINUTE, (_token, reason) => renewals.push(reason));
  return { keeper, renewals };
}

describe("token renewal on the server's time (issue 11, item 8)", () => {
  for (const [what, skewMs] of [
    ["hours ahead of", -3 * HOUR],
    ["hours behind", 3 * HOUR],
    ["right with", 0],
  ] as const) {
    it(`a device clock ${what} the server's renews once, a minute before the token expires on the server`, async () => {
      const clock = new ManualClock();
      const server = sessionServer(clock, skewMs);
      const { keeper, renewals } = keeperOn(clock, server.provider);
      for (let minute = 0; minute < 29; minute += 4) {
        await keeper.get();
        clock.advance(4 * MINUTE);
      }
      // 28 minutes in: still the first token (ahead of the server, the old client renewed on every call).
      expect(renewals).toEqual(["initial"]);
      clock.advance(MINUTE + 1_000); // 29 min 1 s: within the minute's margin on the server's clock
      await keeper.get();
      await keeper.get();
      // Behind the server, the old client kept the expired token for three more hours.
      expect(renewals).toEqual(["initial", "expiring"]);
      expect(server.posts).toHaveLength(2);
    });
  }

  it("measures the skew from the fresh token's iat when the Date header is hidden (a browser, cross-origin)", async () => {
    const clock = new ManualClock();
    const server = sessionServer(clock, -3 * HOUR, { dateHeader: false });
    const token = await server.provider({ reason: "initial" });
    expect(Math.abs(token.clockSkewMs! + 3 * HOUR)).toBeLessThan(1_000);
    const { keeper, renewals } = keeperOn(clock, server.provider);
    for (let call = 0; call < 5; call++) await keeper.get();
    expect(renewals).toEqual(["initial"]);
  });

  it("a token with no measured skew (a custom provider) is read from its iat only when this clock contradicts it", async () => {
    const clock = new ManualClock();
    const now = clock.now();
    const issued = (serverNow: number): SessionToken => {
      const iat = Math.floor(serverNow / 1000);
      return { token: jwt({ iat, exp: iat + TOKEN_TTL / 1000 }), expiresAt: iat * 1000 + TOKEN_TTL };
    };
    // The device is 3 h ahead: the token looks long expired here. Without the iat it would renew in a loop.
    const ahead = keeperOn(clock, async () => issued(now - 3 * HOUR));
    for (let call = 0; call < 5; call++) await ahead.keeper.get();
    expect(ahead.renewals).toEqual(["initial"]);
    // A right clock and a token kept from 20 minutes ago: its old iat is not "now", so it renews at its real expiry.
    const kept = keeperOn(clock, async () => issued(now - 20 * MINUTE));
    await kept.keeper.get();
    clock.advance(9 * MINUTE + 1_000);
    await kept.keeper.get();
    expect(kept.renewals).toEqual(["initial", "expiring"]);
  });

  it("a token shorter-lived than the margin is not renewed in a loop", async () => {
    const clock = new ManualClock();
    const { keeper, renewals } = keeperOn(clock, async () => ({ token: "t", expiresAt: clock.now() + 30_000, clockSkewMs: 0 }));
    await keeper.get();
    clock.advance(10_000);
    await keeper.get();
    expect(renewals).toEqual(["initial"]);
    clock.advance(6_000);
    await keeper.get();
    expect(renewals).toEqual(["initial", "expiring"]);
  });
});

describe("a 401 on an HTTP call renews the session once and retries once (issue 11, item 8)", () => {
  /** An API that accepts only the tokens in `valid`, and a provider that hands out t1, t2, ... */
  function api() {
    const valid = new Set<string>();
    const calls: string[] = [];
    const reasons: TokenReason[] = [];
    const state = { refuseAll: false };
    let issued = 0;
    const provider: TokenProvider = async ({ reason }) => {
      reasons.push(reason);
      const token = `t${++issued}`;
      valid.add(token);
      return { token, expiresAt: Number.POSITIVE_INFINITY };
    };
    const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
      const token = (init?.headers as Record<string, string> | undefined)?.authorization?.replace("Bearer ", "") ?? "";
      calls.push(`${new URL(url).pathname} ${token}`);
      if (state.refuseAll || !valid.has(token))
        return new Response(JSON.stringify({ error: { code: "UNAUTHORIZED", message: "expired" } }), { status: 401 });
      if (url.includes("/snapshots")) return Response.json({ snapshots: [{ topic: "game/g1", url: "http://s3/game/g1.json" }] });
      return Response.json({ ok: true });
    };
    return {
      valid,
      calls,
      reasons,
      provider,
      fetch,
      set refuseAll(value: boolean) {
        state.refuseAll = value;
      },
    };
  }

  it("fetchWithSession: one renewal with reason 'refused', one retry; many calls refused together cost one renewal", async () => {
    const server = api();
    const clock = new ManualClock();
    const { keeper } = keeperOn(clock, server.provider);
    await keeper.get();
    server.valid.delete("t1"); // expired on the server's clock, or a rotated key
    const answers = await Promise.all(
      [1, 2, 3].map(() => fetchWithSession(keeper, server.fetch, "http://api.test/jobs", { method: "POST" })),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(server.reasons).toEqual(["initial", "refused"]);
    expect(server.calls.filter((c) => c.endsWith("t2"))).toHaveLength(3);

    // A server that refuses the new token too: the second 401 is the answer, no loop.
    server.refuseAll = true;
    const refused = await fetchWithSession(keeper, server.fetch, "http://api.test/jobs", { method: "POST" });
    expect(refused.status).toBe(401);
    expect(server.reasons).toEqual(["initial", "refused", "refused"]);
  });

  it("GET /snapshots answered 401 renews and retries, instead of failing until the clock catches up", async () => {
    const server = api();
    const clock = new ManualClock();
    const { keeper } = keeperOn(clock, server.provider);
    await keeper.get();
    server.valid.delete("t1");
    const urls = new SnapshotUrls({ httpApiUrl: "http://api.test", fetch: server.fetch, tokens: keeper, refused: () => {} });
    const resolved = await urls.resolve(["game/g1"]);
    expect(resolved.error).toBeUndefined();
    expect(resolved.urls.get("game/g1")).toBe("http://s3/game/g1.json");
    expect(server.calls).toEqual(["/snapshots t1", "/snapshots t2"]);
  });

  it("the client's fetchWithSession, over a live connection whose token the API no longer takes", async () => {
    // No polling: the first connect's own GET /snapshots would race the one under test.
    h = await startHarness({ topics: ["game/g1"], polling: false });
    await h.goLive();
    h.cloud.revokedTokens.add("tok-1");
    const response = await h.client.fetchWithSession(`${h.cloud.httpApiUrl}/snapshots?topics=game/g1`);
    expect(response.status).toBe(200);
    expect(h.cloud.sessions.map((s) => s.authorization)).toEqual([undefined, "Bearer tok-1"]);
    expect(h.cloud.snapshotUrlRequests.map((r) => r.authorization)).toEqual(["Bearer tok-1", "Bearer tok-2"]);
    expect(h.client.getState()).toBe("live"); // the open socket is not touched
  });
});

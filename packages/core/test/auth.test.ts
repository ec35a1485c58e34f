import { decodeJwt, SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { bearerToken, createTokenService, requireOperator, subprotocolToken } from "../src/auth";
import { PushgateError } from "../src/errors";
import { CANARY_FAN_ID } from "../src/topics";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
const ISSUER = "pushgate/test";
const start = new Date("2026-11-22T12:00:00.000Z");

function service(now = { value: start }, secret = SECRET, issuer = ISSUER) {
  return createTokenService({
    secret,
    issuer,
    ttlSeconds: 1800,
    renewalGraceSeconds: 3600,
    sessionMaxSeconds: 12 * 3600,
    clock: { now: () => now.value.getTime() },
  });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "accepted";
  } catch (error) {
    if (!(error instanceof PushgateError)) throw error;
    return `${error.code}: ${error.message}`;
  }
}

const later = (seconds: number) => ({ value: new Date(start.getTime() + seconds * 1000) });
const key = new TextEncoder().encode(SECRET);

describe("fan tokens", () => {
  it("a token names its fan and expires 30 minutes later", async () => {
    const session = await service().issue();
    expect(session.expiresAt).toBe("2026-11-22T12:30:00.000Z");
    expect(await service().verify(session.token)).toBe(session.fanId);
    expect(await service(later(1799)).verify(session.token)).toBe(session.fanId);
  });

  it("the canary's session names the reserved canary fan, which POST /session never issues", async () => {
    const canary = await service().issueCanary();
    expect(canary.fanId).toBe(CANARY_FAN_ID);
    expect(await service().verify(canary.token)).toBe(CANARY_FAN_ID);
    expect((await service().issue()).fanId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("each session is a new fan", async () => {
    const [a, b] = [await service().issue(), await service().issue()];
    expect(a.fanId).not.toBe(b.fanId);
  });

  it("an expired token is refused and says how to get a new one", async () => {
    const { token } = await service().issue();
    expect(await refusal(service(later(1801)).verify(token))).toMatch(/^UNAUTHORIZED: token expired; get a new one with POST \/session/);
  });

  it("a token of another issuer (stage) is refused", async () => {
    const { token } = await service(undefined, SECRET, "pushgate/prod").issue();
    expect(await refusal(service().verify(token))).toMatch(/^UNAUTHORIZED: token iss claim/);
  });

  it("a token signed with another secret is refused", async () => {
    const { token } = await service(undefined, "another-secret-that-is-also-32-bytes-long").issue();
    expect(await refusal(service().verify(token))).toMatch(/^UNAUTHORIZED/);
  });

  it("the algorithm is pinned: HS512 with the same secret, or an unsigned token, is refused", async () => {
    const claims = <T extends SignJWT | UnsecuredJWT>(jwt: T): T =>
      jwt
        .setSubject("fan-x")
        .setIssuer(ISSUER)
        .setIssuedAt(start)
        .setExpirationTime(new Date(start.getTime() + 600_000)) as T;
    const hs512 = await claims(new SignJWT({}).setProtectedHeader({ alg: "HS512" })).sign(key);
    const unsigned = claims(new UnsecuredJWT({})).encode();
    const hs256 = await claims(new SignJWT({}).setProtectedHeader({ alg: "HS256" })).sign(key);
    expect(await refusal(service().verify(hs512))).toMatch(/^UNAUTHORIZED/);
    expect(await refusal(service().verify(unsigned))).toMatch(/^UNAUTHORIZED/);
    // The same claims under the pinned algorithm pass, so the refusals above are about the algorithm.
    expect(await service().verify(hs256)).toBe("fan-x");
  });

  it("garbage is refused as UNAUTHORIZED, not as an internal error", async () => {
    expect(await refusal(service().verify("not.a.jwt"))).toMatch(/^UNAUTHORIZED/);
  });

  it("renewal keeps the fan, even shortly after expiry, but not long after", async () => {
    const first = await service().issue();
    const renewed = await service(later(1800 + 3000)).issue(await service(later(1800 + 3000)).renewable(first.token));
    expect(renewed.fanId).toBe(first.fanId);
    expect(renewed.expiresAt).toBe(new Date(start.getTime() + (4800 + 1800) * 1000).toISOString());
    expect(await refusal(service(later(1800 + 3700)).renewable(first.token))).toMatch(/^UNAUTHORIZED: token expired/);
  });

  it("a token carries iat, exp, jti, its session id and the session's start, and the session's end is answered", async () => {
    const first = await service().issue();
    const claims = decodeJwt(first.token);
    expect(claims).toMatchObject({
      sub: first.fanId,
      iss: ISSUER,
      iat: start.getTime() / 1000,
      exp: start.getTime() / 1000 + 1800,
      auth_time: start.getTime() / 1000,
    });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.sessionEndsAt).toBe("2026-11-23T00:00:00.000Z");
    const next = await service(later(1700)).issue(await service(later(1700)).renewable(first.token));
    const nextClaims = decodeJwt(next.token);
    expect(nextClaims).toMatchObject({ sid: claims.sid, auth_time: claims.auth_time, iat: start.getTime() / 1000 + 1700 });
    expect(nextClaims.jti).not.toBe(claims.jti);
    expect(next.sessionEndsAt).toBe(first.sessionEndsAt);
  });

  it("a token from before sessions had an end (no jti, sid or auth_time) is not renewed, though it still connects", async () => {
    const legacy = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("fan-old")
      .setIssuer(ISSUER)
      .setIssuedAt(start)
      .setExpirationTime(new Date(start.getTime() + 600_000))
      .sign(key);
    expect(await service().verify(legacy)).toBe("fan-old");
    expect(await refusal(service().renewable(legacy))).toMatch(/^SESSION_ENDED: this token has no session to renew; start a new session/);
  });

  it("refuses a secret too short for HS256", () => {
    expect(() => service(undefined, "short")).toThrow(/at least 32 bytes/);
  });
});

describe("where tokens come from", () => {
  it("the subprotocol list carries pushgate.v1 and token.<jwt>", () => {
    expect(subprotocolToken("pushgate.v1, token.abc.def.ghi", "pushgate.v1", "token.")).toBe("abc.def.ghi");
    expect(subprotocolToken("token.abc,pushgate.v1", "pushgate.v1", "token.")).toBe("abc");
  });

  it.each([undefined, "", "pushgate.v1", "token.abc", "pushgate.v2, token.abc", "pushgate.v1, token."])(
    "Sec-WebSocket-Protocol %j is UNAUTHORIZED",
    (header) => {
      expect(() => subprotocolToken(header, "pushgate.v1", "token.")).toThrow(PushgateError);
    },
  );

  it("Authorization: Bearer", () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer  abc ")).toBe("abc");
    expect(() => bearerToken("Basic abc")).toThrow(/Bearer <token>/);
  });

  it("the operator key: missing is 401, wrong is 403", () => {
    const code = (offered: string | undefined) => {
      try {
        requireOperator("the-key", offered);
        return "ok";
      } catch (error) {
        return (error as PushgateError).code;
      }
    };
    expect(code("the-key")).toBe("ok");
    expect(code(undefined)).toBe("UNAUTHORIZED");
    expect(code("the-kez")).toBe("FORBIDDEN");
    expect(code("the-key-but-longer")).toBe("FORBIDDEN");
  });
});

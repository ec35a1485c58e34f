/**
 * Fan sessions: short-lived HS256 JWTs whose `sub` is the fan id.
 *
 * The algorithm is pinned (a token signed with anything else, or unsigned, is
 * refused), and expiry and issuer are checked. Every token carries `iat`,
 * `exp`, `jti` (its own id), `sid` (its session's id) and `auth_time` (when
 * the session started). A session can be renewed for the same fan with its
 * previous token, even shortly after that expired, so a tab that slept through
 * its expiry keeps its fan id (and its jobs); but never past `auth_time` +
 * the session's absolute lifetime, which no token's `exp` exceeds either.
 * That each token is renewed only once is the ledger's job (usecases/session.ts).
 */
import { randomUUID, timingSafeEqual } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";
import { PushgateError } from "./errors";
import { CANARY_FAN_ID } from "./topics";
import type { Clock } from "./ports";
import type { SessionResponse } from "./protocol";

const ALGORITHM = "HS256";

export interface TokenServiceOptions {
  secret: string;
  /** `pushgate/{stage}`: a token of another stage is refused. */
  issuer: string;
  ttlSeconds: number;
  /** How long after expiry a token may still be traded for a new one. */
  renewalGraceSeconds: number;
  /** A session's absolute lifetime from its first token: no renewal reaches past it. */
  sessionMaxSeconds: number;
  clock: Clock;
}

/** The session a token belongs to; times in epoch seconds. */
export interface Session {
  fanId: string;
  sessionId: string;
  startedAt: number;
}

/** A token offered for renewal, verified: its session, its own id, and how long each matters. */
export interface RenewableToken extends Session {
  tokenId: string;
  /** Epoch seconds after which this token can no longer be offered for renewal (so the ledger may forget it). */
  renewableUntil: number;
  /** Epoch seconds: the session's absolute end. */
  sessionEndsAt: number;
}

export interface TokenService {
  /** The first token of a new anonymous fan's session, or the next token of `session`. */
  issue(session?: Session): Promise<SessionResponse>;
  /** A session for the canary's reserved fan id (topics.ts CANARY_FAN_ID); only the canary calls it. */
  issueCanary(): Promise<SessionResponse>;
  /** The fan id of a valid token; UNAUTHORIZED otherwise. */
  verify(token: string): Promise<string>;
  /**
   * A token offered for renewal: valid up to `renewalGraceSeconds` after its
   * expiry, carrying a session, within that session's lifetime (SESSION_ENDED after it).
   */
  renewable(token: string): Promise<RenewableToken>;
}

export function createTokenService(options: TokenServiceOptions): TokenService {
  if (Buffer.byteLength(options.secret, "utf8") < 32) {
    throw new Error("JWT_SECRET must be at least 32 bytes for HS256; set a longer secret (`sst secrets set JWT_SECRET ...`)");
  }
  const key = new TextEncoder().encode(options.secret);
  const nowSeconds = () => Math.floor(options.clock.now() / 1000);
  const sessionEnd = (session: Session) => session.startedAt + options.sessionMaxSeconds;

  async function claimsOf(token: string, toleranceSeconds: number) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer: options.issuer,
        requiredClaims: ["sub", "exp"],
        currentDate: new Date(options.clock.now()),
        clockTolerance: toleranceSeconds,
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JOSEError) throw new PushgateError("UNAUTHORIZED", unauthorizedMessage(error));
      throw error;
    }
  }

  /** The first token of a new anonymous fan's session, or the next token of `session`. */
  async function issue(session?: Session): Promise<SessionResponse> {
    const now = nowSeconds();
    const current = session ?? { fanId: randomUUID(), sessionId: randomUUID(), startedAt: now };
    const endsAt = sessionEnd(current);
    if (now >= endsAt) throw sessionEnded(endsAt);
    const expiresAt = Math.min(now + options.ttlSeconds, endsAt);
    const token = await new SignJWT({ sid: current.sessionId, auth_time: current.startedAt })
      .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
      .setSubject(current.fanId)
      .setIssuer(options.issuer)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(expiresAt)
      .sign(key);
    return { token, fanId: current.fanId, expiresAt: isoSeconds(expiresAt), sessionEndsAt: isoSeconds(endsAt) };
  }

  return {
    issue,
    issueCanary: () => issue({ fanId: CANARY_FAN_ID, sessionId: randomUUID(), startedAt: nowSeconds() }),
    verify: async (token) => (await claimsOf(token, 0)).sub!,
    async renewable(token) {
      const claims = await claimsOf(token, options.renewalGraceSeconds);
      const { sid, auth_time: startedAt, jti } = claims;
      if (typeof sid !== "string" || typeof jti !== "string" || typeof startedAt !== "number" || !Number.isInteger(startedAt)) {
        // A token from before sessions had an end: it cannot be tracked, so it is not renewed.
        throw new PushgateError(
          "SESSION_ENDED",
          "this token has no session to renew; start a new session with POST /session without an Authorization header",
        );
      }
      const sessionEndsAt = sessionEnd({ fanId: claims.sub!, sessionId: sid, startedAt });
      if (nowSeconds() >= sessionEndsAt) throw sessionEnded(sessionEndsAt);
      return {
        fanId: claims.sub!,
        sessionId: sid,
        startedAt,
        tokenId: jti,
        renewableUntil: Math.min(claims.exp! + options.renewalGraceSeconds, sessionEndsAt),
        sessionEndsAt,
      };
    },
  };
}

const isoSeconds = (seconds: number) => new Date(seconds * 1000).toISOString();

const sessionEnded = (endsAt: number) =>
  new PushgateError(
    "SESSION_ENDED",
    `this session ended at ${isoSeconds(endsAt)}; start a new session with POST /session without an Authorization header`,
  );

function unauthorizedMessage(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired)
    return "token expired; get a new one with POST /session (send the old one as Bearer to keep your fan id)";
  if (error instanceof errors.JWTClaimValidationFailed)
    return `token ${error.claim} claim is not valid; get a new token with POST /session`;
  return "token is not valid; get a new one with POST /session";
}

/** The token of an `Authorization: Bearer <jwt>` header; undefined when there is none. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw new PushgateError("UNAUTHORIZED", "Authorization header must be `Bearer <token>` with a token from POST /session");
  return match[1];
}

/** The token offered as subprotocol `token.<jwt>` next to `pushgate.v1` in `Sec-WebSocket-Protocol`. */
export function subprotocolToken(header: string | undefined, subprotocol: string, tokenPrefix: string): string {
  const offered = (header ?? "").split(",").map((part) => part.trim());
  if (!offered.includes(subprotocol)) {
    throw new PushgateError("UNAUTHORIZED", `offer subprotocols ["${subprotocol}", "${tokenPrefix}<jwt>"]`);
  }
  const token = offered.find((part) => part.startsWith(tokenPrefix))?.slice(tokenPrefix.length);
  if (!token) throw new PushgateError("UNAUTHORIZED", `offer your token as subprotocol "${tokenPrefix}<jwt>" (from POST /session)`);
  return token;
}

/**
 * Producer routes take the operator key in `x-operator-key`, not a fan token:
 * missing is 401, wrong is 403. Compared in constant time.
 */
export function requireOperator(expectedKey: string, offered: string | undefined): void {
  if (!offered)
    throw new PushgateError(
      "UNAUTHORIZED",
      "send the operator key in the x-operator-key header (locally: operatorKey in .pushgate/endpoints.json)",
    );
  const a = Buffer.from(offered, "utf8");
  const b = Buffer.from(expectedKey, "utf8");
  if (a.length !== b.length || !timingSafeEqual(a, b))
    throw new PushgateError("FORBIDDEN", "x-operator-key is not the operator key of this stage");
}

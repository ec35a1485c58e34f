/**
 * Fan sessions: short-lived HS256 JWTs whose `sub` is the fan id.
 *
 * The algorithm is pinned (a token signed with anything else, or unsigned, is
 * refused), and expiry and issuer are checked. A session can be renewed for
 * the same fan with its previous token even shortly after that expired, so a
 * tab that slept through its expiry keeps its fan id (and its jobs).
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
  clock: Clock;
}

export interface TokenService {
  /** A new anonymous fan, or the same fan when given its previous token. */
  issue(previousToken?: string): Promise<SessionResponse>;
  /** A session for the canary's reserved fan id (topics.ts CANARY_FAN_ID); only the canary calls it. */
  issueCanary(): Promise<SessionResponse>;
  /** The fan id of a valid token; UNAUTHORIZED otherwise. */
  verify(token: string): Promise<string>;
}

export function createTokenService(options: TokenServiceOptions): TokenService {
  if (Buffer.byteLength(options.secret, "utf8") < 32) {
    throw new Error("JWT_SECRET must be at least 32 bytes for HS256; set a longer secret (`sst secrets set JWT_SECRET ...`)");
  }
  const key = new TextEncoder().encode(options.secret);

  async function fanIdOf(token: string, toleranceSeconds: number): Promise<string> {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer: options.issuer,
        requiredClaims: ["sub", "exp"],
        currentDate: new Date(options.clock.now()),
        clockTolerance: toleranceSeconds,
      });
      return payload.sub!;
    } catch (error) {
      if (error instanceof errors.JOSEError) throw new PushgateError("UNAUTHORIZED", unauthorizedMessage(error));
      throw error;
    }
  }

  async function issueFor(fanId: string): Promise<SessionResponse> {
    const nowSeconds = Math.floor(options.clock.now() / 1000);
    const expiresAtSeconds = nowSeconds + options.ttlSeconds;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
      .setSubject(fanId)
      .setIssuer(options.issuer)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(expiresAtSeconds)
      .sign(key);
    return { token, fanId, expiresAt: new Date(expiresAtSeconds * 1000).toISOString() };
  }

  return {
    issue: async (previousToken) =>
      issueFor(previousToken === undefined ? randomUUID() : await fanIdOf(previousToken, options.renewalGraceSeconds)),
    issueCanary: () => issueFor(CANARY_FAN_ID),
    verify: (token) => fanIdOf(token, 0),
  };
}

function unauthorizedMessage(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return "token expired; get a new one with POST /session (send the old one as Bearer to keep your fan id)";
  if (error instanceof errors.JWTClaimValidationFailed) return `token ${error.claim} claim is not valid; get a new token with POST /session`;
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
  if (!offered) throw new PushgateError("UNAUTHORIZED", "send the operator key in the x-operator-key header (locally: operatorKey in .pushgate/endpoints.json)");
  const a = Buffer.from(offered, "utf8");
  const b = Buffer.from(expectedKey, "utf8");
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new PushgateError("FORBIDDEN", "x-operator-key is not the operator key of this stage");
}

/**
 * `POST /session` (new sessions and renewals), and the fan behind a Bearer
 * token on the other fan routes.
 *
 * A renewal trades a token for the next one of the same session, once: the
 * ledger records the token's id, and a second trade of the same token is
 * refused and revokes its session. Two holders of one token (a fan and
 * whoever copied it) cannot both keep renewing: the first to renew wins, the
 * second trips the revocation, and from then on neither chain renews. New
 * anonymous sessions are counted per source address (usecases/quotas.ts).
 */
import { bearerToken, type TokenService } from "../auth";
import { PushgateError } from "../errors";
import type { FanVerifier } from "../identity";
import type { Clock, QuotaCounter, SessionLedger } from "../ports";
import type { SessionResponse } from "../protocol";
import { enforceQuota, type QuotaSettings } from "./quotas";

export interface SessionDeps {
  tokens: TokenService;
  ledger: SessionLedger;
  quotaCounter: QuotaCounter;
  quotas: QuotaSettings;
  clock: Clock;
}

/** A new anonymous fan (counted against `sourceIp`), or the next token for the fan of the Bearer token sent. */
export async function startSession(deps: SessionDeps, authorization: string | undefined, sourceIp: string): Promise<SessionResponse> {
  const previous = bearerToken(authorization);
  if (previous === undefined) {
    await enforceQuota(deps, "sessionsPerAddress", sourceIp);
    return deps.tokens.issue();
  }
  const token = await deps.tokens.renewable(previous);
  const spend = await deps.ledger.spend(token.tokenId, token.sessionId, token.renewableUntil);
  if (spend === "session-revoked") {
    throw new PushgateError(
      "SESSION_ENDED",
      "this session was revoked (one of its tokens was renewed twice); start a new session with POST /session without an Authorization header",
    );
  }
  if (spend === "already-spent") {
    await deps.ledger.revoke(token.sessionId, token.sessionEndsAt);
    throw new PushgateError(
      "TOKEN_ALREADY_RENEWED",
      "this token was already renewed once, so its session is now revoked; start a new session with POST /session without an Authorization header",
    );
  }
  return deps.tokens.issue(token);
}

/** The fan of a route that takes `Authorization: Bearer <token>`; UNAUTHORIZED when there is none. */
export async function fanOf(tokens: FanVerifier, authorization: string | undefined): Promise<string> {
  const token = bearerToken(authorization);
  if (token === undefined)
    throw new PushgateError("UNAUTHORIZED", "send Authorization: Bearer <token> with a token from POST /session or your sign-in provider");
  return tokens.verify(token);
}

/** `POST /session`, and the fan behind a Bearer token on the other fan routes. */
import { bearerToken, type TokenService } from "../auth";
import { PushgateError } from "../errors";
import type { SessionResponse } from "../protocol";

/** A new anonymous fan, or a renewal for the fan of the Bearer token sent (even shortly after it expired). */
export const startSession = (tokens: TokenService, authorization: string | undefined): Promise<SessionResponse> =>
  tokens.issue(bearerToken(authorization));

/** The fan of a route that takes `Authorization: Bearer <token>`; UNAUTHORIZED when there is none. */
export async function fanOf(tokens: TokenService, authorization: string | undefined): Promise<string> {
  const token = bearerToken(authorization);
  if (token === undefined) throw new PushgateError("UNAUTHORIZED", "send Authorization: Bearer <token> with a token from POST /session");
  return tokens.verify(token);
}

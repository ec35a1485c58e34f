/**
 * A token provider for the push client that survives a reload of the tab.
 * Without it a reload would start a new session, hence a new fan id, and the
 * fan's pending report (whose topic only its owner may subscribe to) would be
 * refused. Renewals still go through the client's own provider, which sends
 * the old token so the server keeps the fan id.
 */
import type { SessionToken, TokenProvider } from "@pushgate/client";

const KEY = "pushgate.session";

type TokenStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export function rememberedSession(inner: TokenProvider, storage: TokenStorage | undefined, clock: () => number = Date.now): TokenProvider {
  return async (request) => {
    if (request.reason === "initial") {
      const stored = read(storage);
      // Only reuse a token with real life left in it; the client renews a minute before expiry anyway.
      if (stored && hasLifeLeft(stored, clock())) return stored;
      // An expired stored token can still be renewed with the same fan id.
      if (stored) return remember(await inner({ reason: "expiring", previous: stored }));
    }
    if (request.reason === "expiring") {
      // Tabs share the stored token, and the server renews each token once (a second renewal ends the
      // session): when another tab has already renewed it, take that tab's token instead of renewing again.
      const stored = read(storage);
      if (stored && stored.token !== request.previous?.token && hasLifeLeft(stored, clock())) return stored;
    }
    return remember(await inner(request));
  };

  function remember(token: SessionToken): SessionToken {
    try {
      storage?.setItem(KEY, JSON.stringify(token));
    } catch {
      // Storage blocked or full: this visit works the same, a reload starts a new session.
    }
    return token;
  }
}

/** More than two minutes left on the server's clock (`expiresAt` is the server's; the skew was measured at issue). */
function hasLifeLeft(token: SessionToken, now: number): boolean {
  return token.expiresAt - (token.clockSkewMs ?? 0) - 2 * 60_000 > now;
}

function read(storage: TokenStorage | undefined): SessionToken | undefined {
  try {
    const raw = storage?.getItem(KEY);
    if (!raw) return undefined;
    const parsed = JSON.parse(raw) as Partial<SessionToken>;
    if (typeof parsed.token === "string" && typeof parsed.expiresAt === "number") {
      return {
        token: parsed.token,
        expiresAt: parsed.expiresAt,
        ...(typeof parsed.fanId === "string" ? { fanId: parsed.fanId } : {}),
        ...(typeof parsed.clockSkewMs === "number" ? { clockSkewMs: parsed.clockSkewMs } : {}),
      };
    }
  } catch {
    // Malformed entry (an older version of the page): fall through to a new session.
  }
  storage?.removeItem(KEY);
  return undefined;
}

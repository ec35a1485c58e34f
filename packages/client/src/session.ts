import type { Clock, FetchLike } from "./environment";
import { clientError, describeCause, type PushClientError } from "./errors";

/** A fan token and when it stops being accepted. */
export interface SessionToken {
  token: string;
  /** Epoch milliseconds; `Infinity` when neither the server nor the JWT says. */
  expiresAt: number;
  fanId?: string;
}

/** Why a token is asked for; `previous` is there for every reason but the first. */
export type TokenReason = "initial" | "expiring" | "refused";

/**
 * Where tokens come from. The default posts to `{httpApiUrl}/session`; an app
 * with its own login passes its own. It may reject: the client reports a
 * SESSION_FAILED error and retries with backoff.
 */
export type TokenProvider = (request: { reason: TokenReason; previous?: SessionToken }) => Promise<SessionToken>;

/** Thrown by `sessionEndpointTokenProvider` (and caught by the client, which emits it). */
export class SessionError extends Error {
  constructor(readonly detail: PushClientError) {
    super(detail.message);
    this.name = "SessionError";
  }
}

/**
 * `POST {httpApiUrl}/session` with `{}`. Renewal sends the old token as
 * `Authorization: Bearer` so the server keeps the fan id (the fan's queue
 * ticket and jobs are keyed by it). If the server will not renew (the old token
 * is too old or was signed with a rotated key) it falls back to a fresh session:
 * a new fan id beats no connection at all.
 */
export function sessionEndpointTokenProvider(options: { httpApiUrl: string; fetch: FetchLike }): TokenProvider {
  const url = `${options.httpApiUrl.replace(/\/+$/, "")}/session`;
  const post = async (bearer: string | undefined): Promise<Response> => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    try {
      return await options.fetch(url, { method: "POST", headers, body: "{}" });
    } catch (cause) {
      throw new SessionError(clientError("SESSION_FAILED", `POST ${url} failed: ${describeCause(cause)}`, { cause }));
    }
  };
  return async ({ previous }) => {
    let response = await post(previous?.token);
    if (previous && (response.status === 401 || response.status === 403)) {
      await response.body?.cancel();
      response = await post(undefined);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      throw new SessionError(
        clientError("SESSION_FAILED", `POST ${url} answered ${response.status}: ${text.slice(0, 200)}`, {
          status: response.status,
        }),
      );
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (cause) {
      throw new SessionError(clientError("SESSION_FAILED", `POST ${url} answered a body that is not JSON`, { cause }));
    }
    const record = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
    if (typeof record.token !== "string" || record.token.length === 0) {
      throw new SessionError(clientError("SESSION_FAILED", `POST ${url} answered no token`));
    }
    const fanId = typeof record.fanId === "string" ? record.fanId : undefined;
    return {
      token: record.token,
      expiresAt: parseExpiry(record.expiresAt) ?? jwtExpiry(record.token) ?? Number.POSITIVE_INFINITY,
      ...(fanId === undefined ? {} : { fanId }),
    };
  };
}

/** `expiresAt` as an ISO string, epoch seconds or epoch milliseconds. */
export function parseExpiry(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value === "string") {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

/** The JWT's `exp` claim (read, not verified: the server verifies, the client only plans renewal). */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const json = atob(
      payload
        .replace(/-/g, "+")
        .replace(/_/g, "/")
        .padEnd(Math.ceil(payload.length / 4) * 4, "="),
    );
    const claims = JSON.parse(json) as { exp?: unknown };
    return typeof claims.exp === "number" ? claims.exp * 1000 : undefined;
  } catch {
    // Not a JWT we can read: the caller falls back to "no known expiry" and relies on refusal.
    return undefined;
  }
}

/**
 * Holds the current token and decides when to ask for a new one: when none
 * yet, when it expires within `refreshMarginMs`, or after `markRefused()`.
 * Concurrent callers share one request.
 */
export class TokenKeeper {
  private current: SessionToken | undefined;
  private refused = false;
  private inFlight: Promise<SessionToken> | undefined;

  constructor(
    private readonly provider: TokenProvider,
    private readonly clock: Clock,
    private readonly refreshMarginMs: number,
    private readonly onRenewed: (token: SessionToken, reason: TokenReason) => void,
  ) {}

  get token(): SessionToken | undefined {
    return this.current;
  }

  /** The socket handshake was refused; the next `get()` asks for a new token. */
  markRefused(): void {
    this.refused = true;
  }

  get(): Promise<SessionToken> {
    const reason = this.reasonToRenew();
    if (reason === undefined && this.current) return Promise.resolve(this.current);
    if (this.inFlight !== undefined) return this.inFlight;
    const previous = this.current;
    const request = this.provider(previous ? { reason: reason ?? "expiring", previous } : { reason: "initial" });
    this.inFlight = request.then(
      (token) => {
        this.inFlight = undefined;
        this.current = token;
        this.refused = false;
        this.onRenewed(token, reason ?? "initial");
        return token;
      },
      (error: unknown) => {
        this.inFlight = undefined;
        throw error;
      },
    );
    return this.inFlight;
  }

  private reasonToRenew(): TokenReason | undefined {
    if (!this.current) return "initial";
    if (this.refused) return "refused";
    if (this.clock.now() >= this.current.expiresAt - this.refreshMarginMs) return "expiring";
    return undefined;
  }
}

/** Turn whatever a token provider threw into the error the client emits. */
export function sessionFailure(error: unknown): PushClientError {
  if (error instanceof SessionError) return error.detail;
  return clientError("SESSION_FAILED", `the token provider failed: ${describeCause(error)}`, { cause: error });
}

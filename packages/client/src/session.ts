/**
 * The fan's session on the client: where tokens come from (the provider, by
 * default `POST /session`), and when to ask for the next one (`TokenKeeper`).
 * Renewal is planned on the server's clock seen through a measured skew, so a
 * device whose clock is hours off neither renews in a loop nor uses an expired
 * token; a call the server refuses with 401 renews once (`renewRefused`).
 */
import { systemClock, type Clock, type FetchLike } from "./environment";
import { clientError, describeCause, type PushClientError } from "./errors";

/** A fan token and when it stops being accepted. */
export interface SessionToken {
  token: string;
  /** Epoch milliseconds on the server's clock; `Infinity` when neither the server nor the JWT says. */
  expiresAt: number;
  fanId?: string;
  /**
   * The server's clock minus this device's, in ms, measured when the token was
   * obtained (the answer's `Date` header, or the fresh token's `iat`). It is a
   * property of the device, not of the moment, so it stays right for a token kept and reused later.
   */
  clockSkewMs?: number;
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
export function sessionEndpointTokenProvider(options: { httpApiUrl: string; fetch: FetchLike; clock?: Clock }): TokenProvider {
  const clock = options.clock ?? systemClock;
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
    // Read at the answer, before the body: the skew is the server's clock against this instant.
    let receivedAt = clock.now();
    if (previous && (response.status === 401 || response.status === 403)) {
      await response.body?.cancel();
      response = await post(undefined);
      receivedAt = clock.now();
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
    const clockSkewMs = measuredSkew(response, record.token, receivedAt);
    return {
      token: record.token,
      expiresAt: parseExpiry(record.expiresAt) ?? jwtTimes(record.token).expiresAt ?? Number.POSITIVE_INFINITY,
      ...(fanId === undefined ? {} : { fanId }),
      ...(clockSkewMs === undefined ? {} : { clockSkewMs }),
    };
  };
}

/**
 * The server's clock minus ours, from an answer just received: its `Date`
 * header (which a browser hides cross-origin unless the API exposes it), else
 * the `iat` of the token it has just issued. Both have 1 s resolution, far
 * inside the renewal margin.
 */
function measuredSkew(response: Response, token: string, receivedAt: number): number | undefined {
  const date = Date.parse(response.headers.get("date") ?? "");
  if (!Number.isNaN(date)) return date - receivedAt;
  const { issuedAt } = jwtTimes(token);
  return issuedAt === undefined ? undefined : issuedAt - receivedAt;
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

/** The JWT's `iat` and `exp` claims in epoch ms (read, not verified: the server verifies, the client only plans renewal). */
export function jwtTimes(token: string): { issuedAt?: number; expiresAt?: number } {
  const payload = token.split(".")[1];
  if (payload === undefined) return {};
  try {
    const json = atob(
      payload
        .replace(/-/g, "+")
        .replace(/_/g, "/")
        .padEnd(Math.ceil(payload.length / 4) * 4, "="),
    );
    const claims = JSON.parse(json) as { iat?: unknown; exp?: unknown };
    return {
      ...(typeof claims.iat === "number" && { issuedAt: claims.iat * 1000 }),
      ...(typeof claims.exp === "number" && { expiresAt: claims.exp * 1000 }),
    };
  } catch {
    // Not a JWT we can read: the caller falls back to "no known expiry" and relies on refusal.
    return {};
  }
}

/**
 * Holds the current token and decides when to ask for a new one: when none
 * yet, after `markRefused()`, or when it expires within `refreshMarginMs`
 * (at most half its life, so a short-lived token is not renewed in a loop).
 * Expiry is planned on this device's clock: the server's `expiresAt` minus the
 * measured skew. Concurrent callers share one request.
 */
export class TokenKeeper {
  private current: SessionToken | undefined;
  /** When to renew the current token, on this device's clock. */
  private renewAt = Number.POSITIVE_INFINITY;
  /** The last skew measured (server minus device); a token that comes without one (kept, custom provider) uses it. */
  private skewMs: number | undefined;
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

  /**
   * A call made with `refusedToken` was answered 401: a token to retry with.
   * Renews only if that token is still the current one, so many calls refused
   * together (or one refused after a renewal) cost one renewal, not one each.
   */
  renewRefused(refusedToken: string): Promise<SessionToken> {
    if (this.current?.token === refusedToken) this.refused = true;
    return this.get();
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
        this.hold(token);
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

  private hold(token: SessionToken): void {
    const receivedAt = this.clock.now();
    this.current = token;
    this.refused = false;
    const skew = token.clockSkewMs ?? this.skewMs ?? contradictionSkew(token.token, receivedAt);
    if (token.clockSkewMs !== undefined) this.skewMs = token.clockSkewMs;
    const localExpiry = token.expiresAt - (skew ?? 0);
    const margin = Math.min(this.refreshMarginMs, Math.max(0, (localExpiry - receivedAt) / 2));
    this.renewAt = localExpiry - margin;
  }

  private reasonToRenew(): TokenReason | undefined {
    if (!this.current) return "initial";
    if (this.refused) return "refused";
    if (this.clock.now() >= this.renewAt) return "expiring";
    return undefined;
  }
}

/**
 * With no measured skew, a token's `iat` is believed as "the server's now" only
 * when this clock contradicts the token (already expired, or issued in our
 * future): a token kept from earlier on a right clock has an old `iat`, and
 * taking that as now would push its expiry late.
 */
function contradictionSkew(token: string, receivedAt: number): number | undefined {
  const { issuedAt, expiresAt } = jwtTimes(token);
  if (issuedAt === undefined || expiresAt === undefined) return undefined;
  const contradicted = expiresAt <= receivedAt || issuedAt > receivedAt + CLOCK_TOLERANCE_MS;
  return contradicted ? issuedAt - receivedAt : undefined;
}

/** A device clock this close to the server's is right enough: renewal has a minute's margin. */
const CLOCK_TOLERANCE_MS = 60_000;

/**
 * `fetch` with the fan's token as `Authorization: Bearer`. A 401 means the
 * server no longer takes the token (expired on its clock, rotated key): the
 * session is renewed once and the call retried once; a second 401 is the
 * caller's answer. Rejects with a `SessionError` when no token can be had.
 */
export async function fetchWithSession(tokens: TokenKeeper, fetch: FetchLike, url: string, init: RequestInit = {}): Promise<Response> {
  const send = (token: string) =>
    fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } });
  const first = await tokens.get();
  const response = await send(first.token);
  if (response.status !== 401) return response;
  await response.body?.cancel();
  return send((await tokens.renewRefused(first.token)).token);
}

/** Turn whatever a token provider threw into the error the client emits. */
export function sessionFailure(error: unknown): PushClientError {
  if (error instanceof SessionError) return error.detail;
  return clientError("SESSION_FAILED", `the token provider failed: ${describeCause(error)}`, { cause: error });
}

/**
 * The fan's side of the HTTP API: a session, joining a queue, asking for a
 * report. Every failure becomes an `ApiError` with a machine code, so the
 * views can tell the fan in plain words what happened and what to do next
 * (see `explainError` in ./errors.ts).
 */

export interface Session {
  token: string;
  fanId: string;
  /** ISO-8601. */
  expiresAt: string;
}

export interface QueueTicket {
  ticket: number;
  servingNumber: number;
  eventId: string;
  topic: string;
}

export interface ReportJob {
  jobId: string;
  resultUrl: string;
  topic: string;
}

export interface FanApi {
  /**
   * A valid session, fetched once and renewed shortly before it expires.
   * `renew` forces a new token (the socket handshake refused the old one).
   * The push client gets its token here too: the queue ticket and the report
   * jobs belong to a fan id, so the HTTP calls and the socket must share one.
   */
  session(options?: { renew?: boolean }): Promise<Session>;
  joinQueue(eventId: string): Promise<QueueTicket>;
  requestReport(): Promise<ReportJob>;
}

/** Protocol error codes plus the ways a call can fail before the server answers. */
export type ApiErrorCode = string;

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** HTTP status, or 0 when the request never got an answer. */
    readonly status: number,
  ) {
    super(message);
  }
}

export interface FanApiOptions {
  httpApiUrl: string;
  fetch?: typeof fetch;
  /** Where the session survives a reload, so the fan keeps their tickets and reports. */
  storage?: Pick<Storage, "getItem" | "setItem" | "removeItem">;
  now?: () => number;
}

const SESSION_KEY = "pushgate.session";
/** Renew this long before expiry so a request never leaves with a token about to die. */
const RENEW_MARGIN_MS = 60_000;

export function createFanApi(options: FanApiOptions): FanApi {
  const baseUrl = options.httpApiUrl.replace(/\/+$/, "");
  const http = options.fetch ?? globalThis.fetch.bind(globalThis);
  const now = options.now ?? Date.now;
  const storage = options.storage;
  let current: Session | undefined = readStoredSession(storage);
  let pending: Promise<Session> | undefined;

  const stillFresh = (session: Session) => Date.parse(session.expiresAt) - RENEW_MARGIN_MS > now();

  async function session(options: { renew?: boolean } = {}): Promise<Session> {
    if (current && stillFresh(current) && !options.renew) return current;
    // One request for concurrent callers (the push client and a view may both ask at start-up).
    pending ??= newSession(current)
      .then((body) => {
        const fresh = parseSession(body);
        current = fresh;
        storage?.setItem(SESSION_KEY, JSON.stringify(fresh));
        return fresh;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  }

  /**
   * Renewal sends the old token as Bearer so the server keeps the fan id (and
   * with it the fan's ticket and reports); if it will not renew, a fresh
   * session beats none.
   */
  async function newSession(previous: Session | undefined): Promise<unknown> {
    if (previous) {
      try {
        return await call("POST", "/session", {}, previous.token);
      } catch (error) {
        if (!(error instanceof ApiError && (error.status === 401 || error.status === 403))) throw error;
      }
    }
    return call("POST", "/session", {}, undefined);
  }

  async function authorised(method: string, path: string, body: unknown): Promise<unknown> {
    const { token } = await session();
    try {
      return await call(method, path, body, token);
    } catch (error) {
      // The server may consider a token expired a little before our clock does; try once with a new one.
      if (error instanceof ApiError && error.status === 401) {
        const renewed = await session({ renew: true });
        return call(method, path, body, renewed.token);
      }
      throw error;
    }
  }

  async function call(method: string, path: string, body: unknown, token: string | undefined): Promise<unknown> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await http(`${baseUrl}${path}`, { method, headers, body: JSON.stringify(body) });
    } catch (cause) {
      throw new ApiError("NETWORK", `could not reach ${baseUrl}: ${describe(cause)}`, 0);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw new ApiError("BAD_RESPONSE", `${method} ${path} answered ${response.status} with non-JSON`, response.status);
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      const code = typeof error?.code === "string" ? error.code : `HTTP_${response.status}`;
      const message = typeof error?.message === "string" ? error.message : `${method} ${path} answered ${response.status}`;
      throw new ApiError(code, message, response.status);
    }
    return parsed;
  }

  return {
    session,
    async joinQueue(eventId) {
      const body = await authorised("POST", `/queues/${encodeURIComponent(eventId)}/join`, {});
      return parseTicket(body);
    },
    async requestReport() {
      const body = await authorised("POST", "/jobs", { kind: "contest-report" });
      return parseJob(body);
    },
  };
}

function readStoredSession(storage: FanApiOptions["storage"]): Session | undefined {
  const raw = storage?.getItem(SESSION_KEY);
  if (!raw) return undefined;
  try {
    return parseSession(JSON.parse(raw));
  } catch {
    // A corrupt or outdated entry is not worth bothering the fan about: a new session replaces it.
    storage?.removeItem(SESSION_KEY);
    return undefined;
  }
}

function field<T>(body: unknown, key: string, type: "string" | "number", what: string): T {
  const value = (body as Record<string, unknown> | null | undefined)?.[key];
  if (typeof value !== type) throw new ApiError("BAD_RESPONSE", `${what} has no ${type} "${key}"`, 200);
  return value as T;
}

function parseSession(body: unknown): Session {
  return {
    token: field(body, "token", "string", "the session"),
    fanId: field(body, "fanId", "string", "the session"),
    expiresAt: field(body, "expiresAt", "string", "the session"),
  };
}

function parseTicket(body: unknown): QueueTicket {
  return {
    ticket: field(body, "ticket", "number", "the queue ticket"),
    servingNumber: field(body, "servingNumber", "number", "the queue ticket"),
    eventId: field(body, "eventId", "string", "the queue ticket"),
    topic: field(body, "topic", "string", "the queue ticket"),
  };
}

function parseJob(body: unknown): ReportJob {
  return {
    jobId: field(body, "jobId", "string", "the report job"),
    resultUrl: field(body, "resultUrl", "string", "the report job"),
    topic: field(body, "topic", "string", "the report job"),
  };
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

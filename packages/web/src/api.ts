/**
 * The fan's side of the HTTP API: joining a queue and asking for a report.
 * Calls go through the push client's `fetchWithSession`, so the HTTP calls and
 * the socket act as the same fan, and a 401 renews the session once and retries: the queue ticket and the report
 * job belong to a fan id, and only the job's owner may subscribe to its topic.
 * Every failure becomes an `ApiError` with a machine code, so the views can
 * tell the fan in plain words what happened and what to do next (./errors.ts).
 * The bodies are the protocol's types (re-exported by @pushgate/client).
 */
import {
  SessionError,
  type AdmissionResponse,
  type ContestReport,
  type CreateJobResponse,
  type HttpErrorBody,
  type JoinResponse,
  type TopicName,
} from "@pushgate/client";
import { solveProofOfWork } from "./proof-of-work.js";

/** The fan's one place in a queue (join and GET .../me answer the same shape). */
export type QueuePlace = JoinResponse;
/** A signed admission the sale verifies (GET /.well-known/jwks.json). */
export type Admission = AdmissionResponse;
/** The answer to `POST /jobs`. */
export type ReportJob = CreateJobResponse;

export interface FanApi {
  /**
   * The fan's place. A queue that asks a proof of work answers 428 CHALLENGE_REQUIRED: the challenge is
   * fetched and solved (`onProofProgress` hears how far), then the join is sent again with it.
   */
  joinQueue(eventId: string, onProofProgress?: (fraction: number) => void): Promise<QueuePlace>;
  /** The place of this fan (any tab of this browser), or undefined when it has not joined. */
  myPlace(eventId: string): Promise<QueuePlace | undefined>;
  /** Rejects with ApiError NOT_YET before the fan's turn. */
  admission(eventId: string): Promise<Admission>;
  requestReport(): Promise<ReportJob>;
  /** A ready report's content, from its presigned URL (no token: the URL is the permission). */
  fetchReport(url: string): Promise<ContestReport>;
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    /** A protocol error code, or NETWORK / BAD_RESPONSE / SESSION_FAILED / HTTP_<status> for failures around it. */
    readonly code: string,
    message: string,
    /** HTTP status, or 0 when the request never got an answer. */
    readonly status: number,
  ) {
    super(message);
  }
}

export interface FanApiOptions {
  httpApiUrl: string;
  /**
   * `fetch` with the fan token as Bearer: the push client's `fetchWithSession`
   * (renews the token before it expires, and once more on a 401). Rejects with
   * a `SessionError` when no session can be had.
   */
  fetchWithSession: (url: string, init?: RequestInit) => Promise<Response>;
  /** Plain fetch for presigned S3 URLs (the report), which must carry no Bearer token. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Default Web Crypto (proof-of-work.ts); tests hand in another. */
  solve?: typeof solveProofOfWork;
}

/** A challenge that expired while solving, or a cost raised meanwhile: asked again, once. */
const PROOF_ATTEMPTS = 2;

export function createFanApi(options: FanApiOptions): FanApi {
  const baseUrl = options.httpApiUrl.replace(/\/+$/, "");
  const solve = options.solve ?? solveProofOfWork;
  const http = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));

  const post = (path: string, body: unknown) => request("POST", path, body);

  async function request(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
    const headers = { "content-type": "application/json" };
    let response: Response;
    try {
      response = await options.fetchWithSession(`${baseUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (cause) {
      if (cause instanceof SessionError) throw new ApiError("SESSION_FAILED", `no fan session: ${describe(cause)}`, 0);
      throw new ApiError("NETWORK", `could not reach ${baseUrl}: ${describe(cause)}`, 0);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw new ApiError(
        response.ok ? "BAD_RESPONSE" : `HTTP_${response.status}`,
        `${method} ${path} answered ${response.status} with a body that is not JSON`,
        response.status,
      );
    }
    if (!response.ok) {
      const error = (parsed as Partial<HttpErrorBody> | undefined)?.error as { code?: unknown; message?: unknown } | undefined;
      const code = typeof error?.code === "string" ? error.code : `HTTP_${response.status}`;
      const message = typeof error?.message === "string" ? error.message : `${method} ${path} answered ${response.status}`;
      throw new ApiError(code, message, response.status);
    }
    return parsed;
  }

  return {
    async joinQueue(eventId, onProofProgress) {
      const path = `/queues/${encodeURIComponent(eventId)}`;
      let proof: { challenge: string; nonce: string } | Record<string, never> = {};
      for (let attempt = 0; ; attempt++) {
        try {
          return parsePlace(await post(`${path}/join`, proof));
        } catch (error) {
          if (!(error instanceof ApiError && error.code === "CHALLENGE_REQUIRED") || attempt >= PROOF_ATTEMPTS) throw error;
        }
        const asked = await request("GET", `${path}/challenge`);
        const challenge = field<string>(asked, "challenge", "string", "the challenge");
        const bits = field<number>(asked, "bits", "number", "the challenge");
        proof = { challenge, nonce: await solve(challenge, bits, onProofProgress ? { onProgress: onProofProgress } : {}) };
      }
    },
    async myPlace(eventId) {
      try {
        return parsePlace(await request("GET", `/queues/${encodeURIComponent(eventId)}/me`));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404 && error.code === "NOT_FOUND" && /not joined/.test(error.message))
          return undefined;
        throw error;
      }
    },
    async admission(eventId) {
      const body = await post(`/queues/${encodeURIComponent(eventId)}/admission`, {});
      const saleUrl = (body as { saleUrl?: unknown }).saleUrl;
      return {
        token: field(body, "token", "string", "the admission"),
        expiresAt: field(body, "expiresAt", "string", "the admission"),
        ...(typeof saleUrl === "string" && { saleUrl }),
      };
    },
    async requestReport() {
      return parseJob(await post("/jobs", { kind: "contest-report" }));
    },
    async fetchReport(url) {
      let response: Response;
      try {
        response = await http(url);
      } catch (cause) {
        throw new ApiError("NETWORK", `could not download the report: ${describe(cause)}`, 0);
      }
      const body = (await response.json().catch(() => undefined)) as Partial<ContestReport> | undefined;
      if (!response.ok || body?.kind !== "contest-report" || !Array.isArray(body.games))
        throw new ApiError(response.ok ? "BAD_RESPONSE" : `HTTP_${response.status}`, "the report could not be read", response.status);
      return body as ContestReport;
    },
  };
}

function field<T>(body: unknown, key: string, type: "string" | "number", what: string): T {
  const value = (body as Record<string, unknown> | null | undefined)?.[key];
  if (typeof value !== type) throw new ApiError("BAD_RESPONSE", `${what} has no ${type} "${key}"`, 200);
  return value as T;
}

function topicField<T extends "queue" | "job">(body: unknown, family: T, what: string): TopicName<T> {
  const topic = field<string>(body, "topic", "string", what);
  if (!topic.startsWith(`${family}/`))
    throw new ApiError("BAD_RESPONSE", `${what} has topic "${topic.slice(0, 80)}", not ${family}/{id}`, 200);
  return topic as TopicName<T>;
}

const PLACE_STATUSES = ["prequeue", "waiting", "admitted"];

function parsePlace(body: unknown): QueuePlace {
  const raw = body as Record<string, unknown> | null | undefined;
  const status = raw?.status;
  if (typeof status !== "string" || !PLACE_STATUSES.includes(status))
    throw new ApiError("BAD_RESPONSE", `the queue place has no valid "status"`, 200);
  const nullableNumber = (key: string) => (raw?.[key] === null ? null : field<number>(body, key, "number", "the queue place"));
  return {
    eventId: field(body, "eventId", "string", "the queue place"),
    name: field(body, "name", "string", "the queue place"),
    topic: topicField(body, "queue", "the queue place"),
    opensAt: field(body, "opensAt", "string", "the queue place"),
    status: status as QueuePlace["status"],
    ticket: nullableNumber("ticket"),
    servingNumber: field(body, "servingNumber", "number", "the queue place"),
    peopleAhead: nullableNumber("peopleAhead"),
  };
}

function parseJob(body: unknown): ReportJob {
  return {
    jobId: field(body, "jobId", "string", "the report job"),
    resultUrl: field(body, "resultUrl", "string", "the report job"),
    topic: topicField(body, "job", "the report job"),
  };
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * The fan's side of the HTTP API: joining a queue and asking for a report.
 * The token comes from the push client (`client.getSession()`), so the HTTP
 * calls and the socket act as the same fan: the queue ticket and the report
 * job belong to a fan id, and only the job's owner may subscribe to its topic.
 * Every failure becomes an `ApiError` with a machine code, so the views can
 * tell the fan in plain words what happened and what to do next (./errors.ts).
 * The bodies are the protocol's types (re-exported by @pushgate/client).
 */
import type { CreateJobResponse, HttpErrorBody, JoinResponse, TopicName } from "@pushgate/client";

/** The answer to `POST /queues/{eventId}/join`. */
export type QueueTicket = JoinResponse;
/** The answer to `POST /jobs`. */
export type ReportJob = CreateJobResponse;

export interface FanApi {
  joinQueue(eventId: string): Promise<QueueTicket>;
  requestReport(): Promise<ReportJob>;
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
  /** The current fan token (renewed by the push client when it is about to expire). */
  token: () => Promise<string>;
  fetch?: typeof fetch;
}

export function createFanApi(options: FanApiOptions): FanApi {
  const baseUrl = options.httpApiUrl.replace(/\/+$/, "");
  const http = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));

  async function token(): Promise<string> {
    try {
      return await options.token();
    } catch (cause) {
      throw new ApiError("SESSION_FAILED", `no fan session: ${describe(cause)}`, 0);
    }
  }

  async function post(path: string, body: unknown): Promise<unknown> {
    const headers = { "content-type": "application/json", authorization: `Bearer ${await token()}` };
    let response: Response;
    try {
      response = await http(`${baseUrl}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
    } catch (cause) {
      throw new ApiError("NETWORK", `could not reach ${baseUrl}: ${describe(cause)}`, 0);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw new ApiError(
        response.ok ? "BAD_RESPONSE" : `HTTP_${response.status}`,
        `POST ${path} answered ${response.status} with a body that is not JSON`,
        response.status,
      );
    }
    if (!response.ok) {
      const error = (parsed as Partial<HttpErrorBody> | undefined)?.error as { code?: unknown; message?: unknown } | undefined;
      const code = typeof error?.code === "string" ? error.code : `HTTP_${response.status}`;
      const message = typeof error?.message === "string" ? error.message : `POST ${path} answered ${response.status}`;
      throw new ApiError(code, message, response.status);
    }
    return parsed;
  }

  return {
    async joinQueue(eventId) {
      return parseTicket(await post(`/queues/${encodeURIComponent(eventId)}/join`, {}));
    },
    async requestReport() {
      return parseJob(await post("/jobs", { kind: "contest-report" }));
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
  if (!topic.startsWith(`${family}/`)) throw new ApiError("BAD_RESPONSE", `${what} has topic "${topic.slice(0, 80)}", not ${family}/{id}`, 200);
  return topic as TopicName<T>;
}

function parseTicket(body: unknown): QueueTicket {
  return {
    ticket: field(body, "ticket", "number", "the queue ticket"),
    servingNumber: field(body, "servingNumber", "number", "the queue ticket"),
    eventId: field(body, "eventId", "string", "the queue ticket"),
    topic: topicField(body, "queue", "the queue ticket"),
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

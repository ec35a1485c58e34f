import { describe, expect, it } from "vitest";
import { SessionError } from "@pushgate/client";
import { ApiError, createFanApi } from "../src/api.js";
import { resolveEndpoints, EndpointsError } from "../src/endpoints.js";
import { explainError } from "../src/errors.js";

type Call = { url: string; init: RequestInit | undefined };

function fetchAnswering(status: number, body: string) {
  const calls: Call[] = [];
  const fetch = (async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init });
    return new Response(body, { status, headers: { "content-type": "application/json" } });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

/** The push client's fetchWithSession, reduced to what the API needs: the token as Bearer. */
function withToken(token: string, fetch: typeof globalThis.fetch) {
  return (url: string, init?: RequestInit) =>
    fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` } });
}

describe("createFanApi", () => {
  it("joins a queue with the client's token as Bearer", async () => {
    const place = {
      eventId: "e1",
      name: "Final",
      topic: "queue/e1",
      opensAt: "2026-11-22T11:00:00.000Z",
      status: "waiting",
      ticket: 42,
      servingNumber: 30,
      peopleAhead: 11,
    };
    const { fetch, calls } = fetchAnswering(200, JSON.stringify(place));
    const api = createFanApi({ httpApiUrl: "http://api.test/", fetchWithSession: withToken("tok-1", fetch) });
    await expect(api.joinQueue("e1")).resolves.toEqual(place);
    expect(calls[0]!.url).toBe("http://api.test/queues/e1/join");
    expect(calls[0]!.init?.method).toBe("POST");
    expect((calls[0]!.init!.headers as Record<string, string>).authorization).toBe("Bearer tok-1");
  });

  it("GET .../me: the place, or undefined for a fan who has not joined (other 404s are errors)", async () => {
    const notJoined = fetchAnswering(
      404,
      JSON.stringify({ error: { code: "NOT_FOUND", message: "you have not joined the queue for event e1; join it" } }),
    );
    const api = createFanApi({ httpApiUrl: "http://api.test", fetchWithSession: withToken("t", notJoined.fetch) });
    await expect(api.myPlace("e1")).resolves.toBeUndefined();
    expect(notJoined.calls[0]!.init?.method).toBe("GET");
    const noQueue = fetchAnswering(404, JSON.stringify({ error: { code: "NOT_FOUND", message: "there is no queue for event e1" } }));
    await expect(
      createFanApi({ httpApiUrl: "http://api.test", fetchWithSession: withToken("t", noQueue.fetch) }).myPlace("e1"),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("solves the proof of work a queue asks for (428 CHALLENGE_REQUIRED), then joins with it", async () => {
    const place = {
      eventId: "e1",
      name: "F",
      topic: "queue/e1",
      opensAt: "2026-11-22T11:00:00.000Z",
      status: "waiting",
      ticket: 3,
      servingNumber: 0,
      peopleAhead: 2,
    };
    const calls: Call[] = [];
    const answers = [
      [428, { error: { code: "CHALLENGE_REQUIRED", message: "this queue asks a proof of work to join", bits: 6 } }],
      [200, { challenge: "c.sig", bits: 6, expiresAt: "2026-11-22T12:10:00.000Z" }],
      [200, place],
    ] as const;
    const fetch = (async (url: RequestInfo | URL, init?: RequestInit) => {
      const [status, body] = answers[calls.length]!;
      calls.push({ url: String(url), init });
      return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
    }) as typeof globalThis.fetch;
    const solved: [string, number][] = [];
    const progress: number[] = [];
    const api = createFanApi({
      httpApiUrl: "http://api.test",
      fetchWithSession: withToken("t", fetch),
      solve: async (challenge, bits, options) => {
        solved.push([challenge, bits]);
        options?.onProgress?.(0.5);
        return "4711";
      },
    });
    await expect(api.joinQueue("e1", (fraction) => progress.push(fraction))).resolves.toEqual(place);
    expect(calls.map((call) => `${call.init?.method} ${call.url}`)).toEqual([
      "POST http://api.test/queues/e1/join",
      "GET http://api.test/queues/e1/challenge",
      "POST http://api.test/queues/e1/join",
    ]);
    expect(solved).toEqual([["c.sig", 6]]);
    expect(progress).toEqual([0.5]);
    expect(JSON.parse(String(calls[2]!.init?.body))).toEqual({ challenge: "c.sig", nonce: "4711" });
  });

  it("asks for a contest report", async () => {
    const { fetch, calls } = fetchAnswering(200, JSON.stringify({ jobId: "j1", resultUrl: "http://s3/r", topic: "job/j1" }));
    const api = createFanApi({ httpApiUrl: "http://api.test", fetchWithSession: withToken("t", fetch) });
    await expect(api.requestReport()).resolves.toEqual({ jobId: "j1", resultUrl: "http://s3/r", topic: "job/j1" });
    expect(JSON.parse(String(calls[0]!.init?.body))).toEqual({ kind: "contest-report" });
  });

  it("turns {error:{code,message}} into an ApiError with the server's code", async () => {
    const { fetch } = fetchAnswering(429, JSON.stringify({ error: { code: "RATE_LIMITED", message: "slow down" } }));
    const api = createFanApi({ httpApiUrl: "http://api.test", fetchWithSession: withToken("t", fetch) });
    const error = await api.joinQueue("e1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: "RATE_LIMITED", status: 429, message: "slow down" });
  });

  it("names an unreachable server, a body that is not JSON, and an answer missing fields", async () => {
    const offline = createFanApi({
      httpApiUrl: "http://api.test",
      fetchWithSession: withToken("t", async () => Promise.reject(new TypeError("Failed to fetch"))),
    });
    await expect(offline.requestReport()).rejects.toMatchObject({ code: "NETWORK", status: 0 });

    const html = createFanApi({ httpApiUrl: "http://api.test", fetchWithSession: withToken("t", fetchAnswering(502, "<html>").fetch) });
    await expect(html.requestReport()).rejects.toMatchObject({ code: "HTTP_502", status: 502 });

    const partial = createFanApi({
      httpApiUrl: "http://api.test",
      fetchWithSession: withToken("t", fetchAnswering(200, '{"jobId":"j1"}').fetch),
    });
    await expect(partial.requestReport()).rejects.toMatchObject({ code: "BAD_RESPONSE" });
  });

  it("reports a session that cannot be had as SESSION_FAILED, not a network failure", async () => {
    const api = createFanApi({
      httpApiUrl: "http://api.test",
      fetchWithSession: async () =>
        Promise.reject(new SessionError({ origin: "client", code: "SESSION_FAILED", message: "POST /session answered 500" })),
    });
    await expect(api.joinQueue("e1")).rejects.toMatchObject({ code: "SESSION_FAILED", message: expect.stringContaining("500") });
  });
});

describe("explainError", () => {
  it("gives every failure a plain title and a next step, keeping the detail for support", () => {
    for (const error of [
      new ApiError("NETWORK", "x", 0),
      new ApiError("RATE_LIMITED", "x", 429),
      new ApiError("FORBIDDEN", "x", 403),
      new ApiError("INTERNAL", "x", 500),
      new ApiError("SESSION_FAILED", "x", 0),
      new Error("boom"),
    ]) {
      const message = explainError(error);
      expect(message.title).not.toBe("");
      expect(message.next).not.toBe("");
      expect(message.detail).toMatch(/x|boom/);
    }
    expect(explainError(new ApiError("INTERNAL", "x", 500)).title).toBe("Something went wrong on our side.");
  });
});

describe("resolveEndpoints", () => {
  it("uses the build-time variables when both are set, without fetching", async () => {
    const endpoints = await resolveEndpoints({
      env: { VITE_HTTP_API_URL: "http://api", VITE_WS_URL: "ws://ws" },
      origin: "http://page",
      fetch: async () => Promise.reject(new Error("must not fetch")),
    });
    expect(endpoints).toEqual({ httpApiUrl: "http://api", websocketUrl: "ws://ws" });
  });

  it("reads /endpoints.json from the page's origin otherwise", async () => {
    const { fetch, calls } = fetchAnswering(
      200,
      JSON.stringify({ websocketUrl: "ws://127.0.0.1:9/local", httpApiUrl: "http://127.0.0.1:8", region: "x" }),
    );
    const endpoints = await resolveEndpoints({ env: {}, origin: "http://localhost:5173", fetch });
    expect(calls[0]!.url).toBe("http://localhost:5173/endpoints.json");
    expect(endpoints).toEqual({ httpApiUrl: "http://127.0.0.1:8", websocketUrl: "ws://127.0.0.1:9/local" });
  });

  it("fails with an EndpointsError naming the file when it is missing or incomplete", async () => {
    await expect(resolveEndpoints({ env: {}, origin: "http://page", fetch: fetchAnswering(404, "").fetch })).rejects.toThrow(
      EndpointsError,
    );
    await expect(
      resolveEndpoints({ env: {}, origin: "http://page", fetch: fetchAnswering(200, '{"httpApiUrl":"http://a"}').fetch }),
    ).rejects.toThrow(/endpoints\.json lacks/);
  });
});

/**
 * The waiting room's HTTP contract end to end through the local cloud (issue
 * 16): the HTTP API emulator, DynamoDB Local, the scheduler running the same
 * tick as the EventBridge rule, the queues stream pushing to real sockets,
 * and admission tokens verified against GET /.well-known/jwks.json with jose.
 */
import type { ChallengeResponse, JoinResponse, SessionResponse } from "@pushgate/core/protocol";
import { solveChallenge } from "@pushgate/core/waiting-room/proof-of-work";
import { startLocalCloud, type LocalCloud } from "@pushgate/local";
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callHttpApi, type HttpCallOptions } from "./clients";
import { connectFan, isMessage, type Fan } from "./fan";

let cloud: LocalCloud;
const sockets: Fan[] = [];

beforeAll(async () => {
  cloud = await startLocalCloud({ environment: { POWERTOOLS_LOG_LEVEL: "SILENT" } });
});

afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.close()));
  await cloud?.stop();
});

const http = (method: string, path: string, options?: HttpCallOptions) => callHttpApi(cloud, method, path, options);

const session = async () => (await http("POST", "/session", { body: {} })).body as SessionResponse;
const putQueue = (eventId: string, body: Record<string, unknown>) => http("PUT", `/queues/${eventId}`, { body, operator: true });
const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();
let ids = 0;

async function openedQueue(eventId: string, body: Record<string, unknown> = {}) {
  expect((await putQueue(eventId, { name: `Event ${eventId}`, opensAt: inSeconds(-1), ...body })).status).toBe(200);
  await cloud.runSchedule("queueTick");
}

describe("operators open queues", () => {
  it("PUT /queues/{id} needs the operator key and a valid body", async () => {
    expect((await http("PUT", "/queues/op-1", { body: { name: "x", opensAt: inSeconds(60) } })).status).toBe(401);
    const bad = await putQueue("op-1", { name: "x", opensAt: "soon" });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "BAD_REQUEST", message: expect.stringMatching(/^opensAt/) } } });
    const created = await putQueue("op-1", {
      name: "Taylor Swift, Wembley, 21 June",
      opensAt: "2030-06-21T09:00:00Z",
      admitPerMinute: 500,
    });
    expect(created).toEqual({
      status: 200,
      body: {
        eventId: "op-1",
        name: "Taylor Swift, Wembley, 21 June",
        opensAt: "2030-06-21T09:00:00.000Z",
        admitPerMinute: 500,
        admissionTtlSeconds: 600,
        saleUrl: null,
        proofOfWorkBits: null,
        topic: "queue/op-1",
        phase: "prequeue",
        servingNumber: 0,
        ticketsIssued: 0,
      },
    });
  });

  it("joining an event id that was never opened is 404 NOT_FOUND", async () => {
    const { token } = await session();
    expect(await http("POST", "/queues/never-opened/join", { token })).toMatchObject({
      status: 404,
      body: { error: { code: "NOT_FOUND" } },
    });
  });
});

describe("one place per fan", () => {
  it("joining twice keeps one ticket; GET .../me answers it; a fan who never joined is 404", async () => {
    await openedQueue("place-1");
    const alice = await session();
    const first = await http("POST", "/queues/place-1/join", { token: alice.token });
    expect(first).toEqual({
      status: 200,
      body: {
        eventId: "place-1",
        name: "Event place-1",
        topic: "queue/place-1",
        opensAt: expect.any(String),
        status: "waiting",
        ticket: 1,
        servingNumber: 0,
        peopleAhead: 0,
      },
    });
    expect((await http("POST", "/queues/place-1/join", { token: alice.token })).body).toEqual(first.body);
    expect((await http("GET", "/queues/place-1/me", { token: alice.token })).body).toEqual(first.body);
    const bob = await session();
    expect((await http("GET", "/queues/place-1/me", { token: bob.token })).status).toBe(404);
    expect((await http("POST", "/queues/place-1/join", { token: bob.token })).body).toMatchObject({ ticket: 2, peopleAhead: 1 });
  });
});

describe("proof of work at join", () => {
  it("a queue that asks it answers 428 CHALLENGE_REQUIRED; GET .../challenge, solve, and the join takes the proof", async () => {
    await openedQueue("pow-1", { proofOfWorkBits: 10 });
    const fan = await session();
    expect(await http("POST", "/queues/pow-1/join", { token: fan.token })).toMatchObject({
      status: 428,
      body: { error: { code: "CHALLENGE_REQUIRED", bits: 10 } },
    });
    const asked = await http("GET", "/queues/pow-1/challenge", { token: fan.token });
    expect(asked).toMatchObject({ status: 200, body: { bits: 10, challenge: expect.any(String) } });
    const { challenge } = asked.body as ChallengeResponse;
    const joined = await http("POST", "/queues/pow-1/join", {
      token: fan.token,
      body: { challenge, nonce: solveChallenge(challenge, 10) },
    });
    expect(joined).toMatchObject({ status: 200, body: { ticket: 1, status: "waiting" } });
    expect((await http("GET", "/queues/pow-1/challenge", {})).status).toBe(401);
  });
});

describe("a fair start", () => {
  it("fans who join before opening wait in the pre-queue, hear the opening on the topic and get drawn tickets from GET .../me", async () => {
    const opensAt = inSeconds(3);
    await putQueue("fair-1", { name: "Fair", opensAt });
    const fans = await Promise.all(Array.from({ length: 5 }, () => session()));
    for (const fan of fans) {
      expect((await http("POST", "/queues/fair-1/join", { token: fan.token })).body).toMatchObject({
        status: "prequeue",
        ticket: null,
        peopleAhead: null,
        opensAt,
      });
    }
    const socket = await connectFan(cloud.endpoints.websocketUrl, fans[0]!.token);
    sockets.push(socket);
    await socket.request({ action: "subscribe", id: `s${++ids}`, topics: ["queue/fair-1"] });

    // The run of the minute before opening waits for opensAt, then draws.
    expect(await cloud.runSchedule("queueTick")).toMatchObject({
      opened: [expect.objectContaining({ eventId: "fair-1", prequeueSize: 5 })],
    });
    const opened = await socket.next((frame) => isMessage("queue/fair-1")(frame) && (frame.data as { phase: string }).phase === "open");
    expect(opened).toMatchObject({
      kind: "queue-position",
      data: { phase: "open", servingNumber: 0, ticketsIssued: 5, opensAt, name: "Fair" },
    });

    const places = await Promise.all(
      fans.map(async (fan) => (await http("GET", "/queues/fair-1/me", { token: fan.token })).body as JoinResponse),
    );
    expect(places.map((place) => place.ticket).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(places.every((place) => place.status === "waiting")).toBe(true);
    const late = await session();
    expect((await http("POST", "/queues/fair-1/join", { token: late.token })).body).toMatchObject({
      ticket: 6,
      status: "waiting",
      peopleAhead: 5,
    });
  });
});

describe("admission on the server", () => {
  it("the serving number stops at the last ticket; 409 NOT_YET before the turn; a token that verifies against the JWKS after", async () => {
    await openedQueue("sale-1", { saleUrl: "https://tickets.example/buy", admissionTtlSeconds: 120 });
    const [first, second] = [await session(), await session()];
    await http("POST", "/queues/sale-1/join", { token: first.token });
    await http("POST", "/queues/sale-1/join", { token: second.token });

    expect(await http("POST", "/queues/sale-1/admission", { token: second.token })).toMatchObject({
      status: 409,
      body: { error: { code: "NOT_YET", peopleAhead: 1, message: expect.stringMatching(/keep the page open/) } },
    });
    const socket = await connectFan(cloud.endpoints.websocketUrl, second.token);
    sockets.push(socket);
    await socket.request({ action: "subscribe", id: `s${++ids}`, topics: ["queue/sale-1"] });

    const advanced = await http("POST", "/queues/sale-1/advance", { body: { by: 100_000 }, operator: true });
    expect(advanced.body.servingNumber).toBe(2);
    // The fan whose ticket was reached is told over its socket by the broadcast itself.
    const told = await socket.next(
      (frame): frame is Extract<typeof frame, { type: "message" }> =>
        isMessage("queue/sale-1")(frame) && (frame.data as { servingNumber: number }).servingNumber >= 2,
    );
    expect(told.data).toMatchObject({ servingNumber: 2, ticketsIssued: 2, admittedPerMinute: expect.any(Number) });

    const admission = await http("POST", "/queues/sale-1/admission", { token: second.token });
    expect(admission).toMatchObject({
      status: 200,
      body: { token: expect.any(String), expiresAt: expect.any(String), saleUrl: "https://tickets.example/buy" },
    });

    const jwksResponse = await fetch(`${cloud.endpoints.httpApiUrl}/.well-known/jwks.json`);
    expect(jwksResponse.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${cloud.endpoints.httpApiUrl}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(admission.body.token, jwks, { algorithms: ["ES256"], issuer: "pushgate/local" });
    expect(payload).toMatchObject({ sub: second.fanId, eventId: "sale-1", ticket: 2, jti: expect.any(String) });
    expect(payload.exp! - payload.iat!).toBe(120);
    await expect(jwtVerify(admission.body.token, jwks, { currentDate: new Date((payload.exp! + 1) * 1000) })).rejects.toBeInstanceOf(
      errors.JWTExpired,
    );
  });

  it("admission for a fan who never joined is 404, without a token 401", async () => {
    await openedQueue("sale-2");
    expect((await http("POST", "/queues/sale-2/admission", { token: (await session()).token })).status).toBe(404);
    expect((await http("POST", "/queues/sale-2/admission")).status).toBe(401);
  });
});

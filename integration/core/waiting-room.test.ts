/**
 * The waiting room's use cases over the real queues and places tables
 * (DynamoDB Local), with a clock the tests move: one place per fan, the
 * opening draw, the serving number's cap, the automatic advance and the
 * admission token a sale verifies.
 */
import { createTables, startDynamoDbLocal, type DynamoDbLocal } from "@pushgate/local/dynamodb";
import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify } from "jose";
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDocumentClient } from "@pushgate/core/adapters/aws-clients";
import { DynamoQueueStore } from "@pushgate/core/adapters/dynamo-queues";
import { PushgateError } from "@pushgate/core/errors";
import { leadingZeroBits, proofOfWorkInput } from "@pushgate/core/wire";
import { topology } from "@pushgate/core/topology";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { matchesAnyPattern } from "@pushgate/local/streams";
import {
  admit,
  advanceQueue,
  drawPrequeue,
  joinChallenge,
  joinQueue,
  myPlace,
  openQueue,
  queueTick,
  type TickDeps,
} from "@pushgate/core/usecases/waiting-room";
import { createAdmissionSigner } from "@pushgate/core/waiting-room/admission-tokens";
import { createProofOfWork, solveChallenge, type ProofOfWork } from "@pushgate/core/waiting-room/proof-of-work";

let dynamo: DynamoDbLocal;
let queueItem: (eventId: string) => Promise<Record<string, unknown>>;
/** DynamoDB Local on a shared 2-core CI machine can take seconds per call (a draw writes 1,000 places): not AWS's 5 s default. */
const LOCAL_SDK_TIMEOUT_MS = 30_000;
let deps: TickDeps & { proofOfWork: () => Promise<ProofOfWork> };
// A whole hour a day from now: places expire (TTL) a month after opening, and DynamoDB Local sweeps expired items.
const startMs = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 24 * 3_600_000;
let nowMs = startMs;
const clock = { now: () => nowMs };
const issuer = "pushgate/test";
const keyA = randomBytes(32).toString("base64url");
const keyB = randomBytes(32).toString("base64url");
const signer = createAdmissionSigner({ secret: keyA, issuer, clock });

const savedCredentials = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  // DynamoDB Local accepts any key pair; the SDK's default chain needs one, as in a function.
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
  dynamo = await startDynamoDbLocal({});
  const { tableNames } = await createTables({ endpoint: dynamo.endpoint, topology, stage: "waiting" });
  queueItem = async (eventId) =>
    (
      await dynamoDocumentClient({
        region: "us-east-1",
        dynamodbEndpoint: dynamo.endpoint,
        sdkRequestTimeoutMs: LOCAL_SDK_TIMEOUT_MS,
      }).send(new GetCommand({ TableName: tableNames.queues!, Key: { eventId }, ConsistentRead: true }))
    ).Item!;
  const db = dynamoDocumentClient({ region: "us-east-1", dynamodbEndpoint: dynamo.endpoint, sdkRequestTimeoutMs: LOCAL_SDK_TIMEOUT_MS });
  deps = {
    queues: new DynamoQueueStore(
      db,
      () => tableNames.queues!,
      () => tableNames.places!,
    ),
    clock,
    // The tick waits for an opening due within its minute: here the wait moves the clock.
    sleep: async (ms) => void (nowMs += ms),
    proofOfWork: async () => createProofOfWork({ secret: "waiting-room-test-secret", clock }),
  };
});

afterAll(async () => {
  await dynamo?.stop();
  if (savedCredentials.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  if (savedCredentials.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
});

const at = (offsetMs: number) => new Date(nowMs + offsetMs).toISOString();
const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PushgateError);
  return error as PushgateError;
};
/** A queue that opened a second ago (its empty pre-queue drawn), so joins get tickets at once. */
async function openedQueue(eventId: string, settings: Record<string, unknown> = {}) {
  await openQueue(deps, eventId, { name: eventId, opensAt: at(-1000), ...settings });
  await drawPrequeue(deps, eventId);
}

/** Joins `count` fans (fan-0 .. fan-n) in that order; many fans 25 at a time (arrival order within a batch is then open). */
async function joinMany(eventId: string, count: number, prefix = "fan") {
  const answers = [];
  const inFlight = count >= 100 ? 25 : 1;
  for (let start = 0; start < count; start += inFlight) {
    const batch = Array.from({ length: Math.min(inFlight, count - start) }, (_, i) => joinQueue(deps, `${prefix}-${start + i}`, eventId));
    answers.push(...(await Promise.all(batch)));
  }
  return answers;
}

describe("one place per fan", () => {
  it("joining again, or asking from another tab, answers the same place; another fan gets the next", async () => {
    await openedQueue("same", { name: "Same place" });
    const first = await joinQueue(deps, "alice", "same");
    expect(first).toEqual({
      eventId: "same",
      name: "Same place",
      topic: "queue/same",
      opensAt: at(-1000),
      status: "waiting",
      ticket: 1,
      servingNumber: 0,
      peopleAhead: 0,
    });
    expect(await joinQueue(deps, "alice", "same")).toEqual(first);
    expect(await myPlace(deps, "alice", "same")).toEqual(first);
    expect(await joinQueue(deps, "bob", "same")).toMatchObject({ ticket: 2, peopleAhead: 1 });
  });

  it("two tabs joining at the same instant still share one place", async () => {
    await openedQueue("tabs");
    const places = await Promise.all(Array.from({ length: 5 }, () => joinQueue(deps, "carol", "tabs")));
    expect(new Set(places.map((place) => place.ticket)).size).toBe(1);
  });

  it("an event that was never opened is NOT_FOUND; so is the place of a fan who never joined", async () => {
    expect((await refusal(joinQueue(deps, "alice", "nope"))).code).toBe("NOT_FOUND");
    await openQueue(deps, "nobody", { name: "Nobody", opensAt: at(-1000) });
    expect((await refusal(myPlace(deps, "alice", "nobody"))).message).toMatch(/POST \/queues\/nobody\/join/);
  });

  it("a bad queue body is BAD_REQUEST naming the field and showing an example", async () => {
    const error = await refusal(openQueue(deps, "bad", { name: "x", opensAt: "tomorrow" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/^opensAt: .*send e\.g\. \{"name"/);
  });
});

describe("a fair start", () => {
  it("1,000 pre-queued fans get a permutation of 1..1,000 at opening, not in the order they joined", async () => {
    const drawStart = nowMs;
    await openQueue(deps, "draw", { name: "Draw", opensAt: at(60 * 60_000) });
    const joined = await joinMany("draw", 1000);
    expect(joined.every((place) => place.status === "prequeue" && place.ticket === null && place.peopleAhead === null)).toBe(true);

    nowMs += 60 * 60_000 - 30_000; // the tick of the minute before opening waits for it, then draws
    const report = await queueTick(deps);
    expect(report.opened).toContainEqual(expect.objectContaining({ eventId: "draw", prequeueSize: 1000 }));
    expect(nowMs).toBe(drawStart + 60 * 60_000);

    const tickets = await Promise.all(joined.map((_, i) => myPlace(deps, `fan-${i}`, "draw").then((place) => place.ticket!)));
    expect([...tickets].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    // Spearman's rho between join order and ticket: for a uniform permutation its
    // standard deviation is 1/sqrt(999) ~ 0.032, so |rho| > 0.2 (over 6 sd) has
    // a chance below 1e-9; first-come-first-served gives rho = 1.
    const n = 1000;
    const sumSquares = tickets.reduce((sum, ticket, i) => sum + (ticket - (i + 1)) ** 2, 0);
    const rho = 1 - (6 * sumSquares) / (n * (n * n - 1));
    expect(Math.abs(rho)).toBeLessThan(0.2);
  }, 60_000);

  it("the queues fan-out's stream filter passes the writes that bump seq and none of the joins", async () => {
    // The record Lambda's filter sees for the item as it stands after a write.
    const isNews = async (eventId: string) =>
      matchesAnyPattern(
        { eventName: "MODIFY", dynamodb: { NewImage: marshall(await queueItem(eventId), { convertClassInstanceToMap: true }) } },
        topology.consumers.queuesFanout.filters,
      );
    await openQueue(deps, "news", { name: "News", opensAt: at(30_000) });
    expect(await isNews("news")).toBe(true);
    await joinMany("news", 2, "early"); // pre-queue joins write places only: no record on the queue's stream
    nowMs += 30_000;
    await queueTick(deps);
    expect(await isNews("news")).toBe(true);
    await joinQueue(deps, "news-late", "news");
    expect(await isNews("news")).toBe(false);
    await advanceQueue(deps, "news", { by: 1 });
    expect(await isNews("news")).toBe(true);
  });

  it("a fan who arrives after opening gets the next ticket in arrival order; a pre-queued one a drawn one", async () => {
    await openQueue(deps, "late", { name: "Late", opensAt: at(30_000) });
    await joinMany("late", 3, "early");
    nowMs += 30_000;
    await queueTick(deps);
    expect(await joinQueue(deps, "late-1", "late")).toMatchObject({ status: "waiting", ticket: 4 });
    expect(await joinQueue(deps, "late-2", "late")).toMatchObject({ status: "waiting", ticket: 5 });
    expect((await myPlace(deps, "early-0", "late")).ticket).toBeLessThanOrEqual(3);
  });

  it("a fan who joins after opensAt but before the draw is an arrival, ticketed after the pre-queue", async () => {
    await openQueue(deps, "between", { name: "Between", opensAt: at(10_000) });
    await joinMany("between", 2, "early");
    nowMs += 20_000; // opensAt passed, the tick has not run
    expect(await joinQueue(deps, "between-1", "between")).toMatchObject({ status: "prequeue", ticket: null });
    await queueTick(deps);
    expect(await myPlace(deps, "between-1", "between")).toMatchObject({ status: "waiting", ticket: 3 });
  });

  it("the opening time is fixed once the draw ran", async () => {
    await openedQueue("fixed");
    const { opensAt } = (await deps.queues.get("fixed"))!;
    expect((await refusal(openQueue(deps, "fixed", { name: "Fixed", opensAt: at(60_000) }))).code).toBe("CONFLICT");
    expect(await openQueue(deps, "fixed", { name: "Renamed", opensAt, admitPerMinute: 10 })).toMatchObject({
      name: "Renamed",
      admitPerMinute: 10,
      phase: "open",
    });
  });
});

describe("proof of work at join (optional, per queue)", () => {
  it("is off by default: a join needs no proof, and the challenge asks 0 bits", async () => {
    await openedQueue("pow-off");
    expect((await joinQueue(deps, "fan-a", "pow-off")).ticket).toBe(1);
    const { challenge, bits } = await joinChallenge(deps, "fan-a", "pow-off");
    expect({ bits, challenge: typeof challenge }).toEqual({ bits: 0, challenge: "string" });
  });

  it("when a queue asks it, a new place needs a solved challenge of this fan and event; a rejoin does not", async () => {
    await openedQueue("pow-on", { proofOfWorkBits: 8 });
    expect((await queueItem("pow-on")).proofOfWorkBits).toBe(8);
    const missing = await refusal(joinQueue(deps, "fan-a", "pow-on"));
    expect(missing).toMatchObject({ code: "CHALLENGE_REQUIRED", details: { bits: 8 } });
    expect(missing.message).toMatch(/GET \/queues\/pow-on\/challenge/);

    const { challenge, bits, expiresAt } = await joinChallenge(deps, "fan-a", "pow-on");
    expect(bits).toBe(8);
    expect(Date.parse(expiresAt)).toBe(nowMs + 10 * 60_000);
    const nonce = solveChallenge(challenge, bits);
    // Another fan cannot use fan-a's work, nor can it be spent on another event.
    expect((await refusal(joinQueue(deps, "fan-b", "pow-on", { challenge, nonce }))).message).toMatch(/another fan or another event/);
    await openedQueue("pow-other", { proofOfWorkBits: 8 });
    expect((await refusal(joinQueue(deps, "fan-a", "pow-other", { challenge, nonce }))).code).toBe("CHALLENGE_REQUIRED");
    // A nonce that does not do the work is refused (the first one whose hash lacks the 8 bits).
    const weakHash = (candidate: string) =>
      leadingZeroBits(createHash("sha256").update(proofOfWorkInput(challenge, candidate)).digest()) < 8;
    const lazy = ["0", "1", "2", "3", "4"].find(weakHash)!;
    expect((await refusal(joinQueue(deps, "fan-a", "pow-on", { challenge, nonce: lazy }))).message).toMatch(/leading zero bits/);
    // A forged challenge (the payload changed, the signature kept) is refused.
    const [payload, signature] = challenge.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
    const forged = `${Buffer.from(JSON.stringify({ ...claims, b: 1 })).toString("base64url")}.${signature}`;
    expect((await refusal(joinQueue(deps, "fan-a", "pow-on", { challenge: forged, nonce: solveChallenge(forged, 1) }))).message).toMatch(
      /not one this API issued/,
    );

    const place = await joinQueue(deps, "fan-a", "pow-on", { challenge, nonce });
    expect(place.ticket).toBe(1);
    // Single use: replaying the proof answers the same place, never a second one; a rejoin needs no proof.
    expect(await joinQueue(deps, "fan-a", "pow-on", { challenge, nonce })).toEqual(place);
    expect(await joinQueue(deps, "fan-a", "pow-on")).toEqual(place);
  });

  it("a challenge expires, and one asked before the operator raised the cost no longer suffices", async () => {
    await openedQueue("pow-time", { proofOfWorkBits: 4 });
    const old = await joinChallenge(deps, "fan-a", "pow-time");
    nowMs += 10 * 60_000;
    expect(
      (await refusal(joinQueue(deps, "fan-a", "pow-time", { challenge: old.challenge, nonce: solveChallenge(old.challenge, 4) }))).message,
    ).toMatch(/expired/);
    const cheap = await joinChallenge(deps, "fan-a", "pow-time");
    await openQueue(deps, "pow-time", { name: "pow-time", opensAt: (await queueItem("pow-time")).opensAt, proofOfWorkBits: 6 });
    const weak = { challenge: cheap.challenge, nonce: solveChallenge(cheap.challenge, 4) };
    expect((await refusal(joinQueue(deps, "fan-a", "pow-time", weak))).message).toMatch(/asked 4 bits and this queue now asks 6/);
  });

  it("a body that is not a proof is BAD_REQUEST with an example", async () => {
    await openedQueue("pow-body", { proofOfWorkBits: 4 });
    expect(await refusal(joinQueue(deps, "fan-a", "pow-body", { nonce: 5 }))).toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe("admission on the server", () => {
  it("the serving number stops at the last ticket issued", async () => {
    await openedQueue("cap");
    await joinMany("cap", 3);
    expect(await advanceQueue(deps, "cap", { by: 100_000 })).toMatchObject({ servingNumber: 3 });
    expect(await joinQueue(deps, "fan-late", "cap")).toMatchObject({ ticket: 4, status: "waiting", peopleAhead: 0 });
    expect(await advanceQueue(deps, "cap", { by: 100_000 })).toMatchObject({ servingNumber: 4 });
  });

  it("advancing a queue that has not opened is a CONFLICT that says when it opens", async () => {
    await openQueue(deps, "early", { name: "Early", opensAt: at(60 * 60_000) });
    expect((await refusal(advanceQueue(deps, "early", { by: 1 }))).code).toBe("CONFLICT");
  });

  it("a fan not yet admitted gets NOT_YET with peopleAhead; an admitted one a token that verifies against the JWKS", async () => {
    await openedQueue("sale", { admissionTtlSeconds: 300, saleUrl: "https://tickets.example/sale" });
    await joinMany("sale", 3);
    const withSigner = { ...deps, signer: async () => signer };
    const notYet = await refusal(admit(withSigner, "fan-2", "sale"));
    expect({ code: notYet.code, details: notYet.details }).toEqual({ code: "NOT_YET", details: { peopleAhead: 2 } });

    await advanceQueue(deps, "sale", { by: 3 });
    const admission = await admit(withSigner, "fan-2", "sale");
    expect(admission).toMatchObject({ saleUrl: "https://tickets.example/sale", expiresAt: at(300_000) });

    const jwks = createLocalJWKSet(signer.jwks() as never);
    const { payload, protectedHeader } = await jwtVerify(admission.token, jwks, {
      algorithms: ["ES256"],
      issuer,
      currentDate: new Date(clock.now()),
    });
    expect(protectedHeader).toMatchObject({ alg: "ES256", kid: signer.jwks().keys[0]!.kid });
    expect(payload).toMatchObject({
      sub: "fan-2",
      eventId: "sale",
      ticket: 3,
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.any(String),
    });

    // Another key set does not verify it; nor does the clock after exp; another event's sale sees the wrong eventId.
    const other = createAdmissionSigner({ secret: keyB, issuer, clock });
    await expect(jwtVerify(admission.token, createLocalJWKSet(other.jwks() as never), { algorithms: ["ES256"] })).rejects.toBeInstanceOf(
      errors.JOSEError,
    );
    await expect(
      jwtVerify(admission.token, jwks, { algorithms: ["ES256"], currentDate: new Date(nowMs + 301_000) }),
    ).rejects.toBeInstanceOf(errors.JWTExpired);
    expect(payload.eventId).not.toBe("another-event");
  });

  it("keys rotate: a token of the previous key still verifies while it is listed after the new one", async () => {
    const old = await signer.sign({ fanId: "f", eventId: "e", ticket: 1, ttlSeconds: 60 });
    const rotated = createAdmissionSigner({ secret: `${keyB},${keyA}`, issuer, clock });
    const fresh = await rotated.sign({ fanId: "f", eventId: "e", ticket: 1, ttlSeconds: 60 });
    expect(decodeProtectedHeader(fresh.token).kid).not.toBe(decodeProtectedHeader(old.token).kid);
    const jwks = createLocalJWKSet(rotated.jwks() as never);
    for (const token of [old.token, fresh.token])
      await expect(jwtVerify(token, jwks, { currentDate: new Date(clock.now()) })).resolves.toBeDefined();
  });

  it("a malformed key set is refused with how to make one", () => {
    expect(() => createAdmissionSigner({ secret: "short", issuer, clock })).toThrow(/not 32.*openssl rand/);
  });

  it("the tick advances an open queue at admitPerMinute, and the pushed rate follows", async () => {
    await openedQueue("auto", { admitPerMinute: 60 });
    await joinMany("auto", 100);
    nowMs += 30_000;
    const first = await queueTick(deps);
    expect(first.advanced).toContainEqual({ eventId: "auto", servingNumber: 30 });
    nowMs += 60_000;
    expect((await queueTick(deps)).advanced).toContainEqual({ eventId: "auto", servingNumber: 90 });
    const queue = await deps.queues.get("auto");
    expect(queue?.admittedPerMinute).toBe(60);
  });
});

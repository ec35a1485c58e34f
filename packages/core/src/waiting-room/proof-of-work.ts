/**
 * The optional proof of work at join (docs/waiting-room.md, "Proof of work"):
 * challenges HMAC-signed by the API, bound to one fan and one event and
 * short-lived, and the check of a solved one. Stateless: a challenge is
 * verified by its signature, and single use comes from the place itself (one
 * place per fan per event, a conditional write), so a proof replayed by the
 * same fan answers the place it already made, and it is worth nothing to
 * another fan or another event.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { PushgateError } from "../errors";
import type { Clock } from "../ports";
import { leadingZeroBits, proofOfWorkInput, type ChallengeResponse } from "../wire";

/** Operators choose 1..28 bits: 2^bits SHA-256 tries on average; 20 is about a second of a laptop's browser. */
export const MAX_PROOF_OF_WORK_BITS = 28;
/** Long enough to solve the hardest challenge on a slow phone, short enough that a stockpile goes stale. */
export const CHALLENGE_TTL_MS = 10 * 60_000;
/** Keeps the HMAC key of challenges apart from the JWT signing key it is derived from. */
const KEY_LABEL = "pushgate proof-of-work challenge v1";
const NONCE_PATTERN = /^[0-9]{1,20}$/;
const MAX_CHALLENGE_LENGTH = 1_000;

interface ChallengeClaims {
  /** eventId */
  e: string;
  /** fanId */
  f: string;
  /** bits asked */
  b: number;
  /** expiry, epoch ms */
  x: number;
  /** random, so two challenges of one fan differ */
  n: string;
}

export interface ProofOfWork {
  issue(fanId: string, eventId: string, bits: number): ChallengeResponse;
  /** Throws CHALLENGE_REQUIRED (with `bits`) unless the proof is this fan's, this event's, in time and hard enough. */
  verify(
    proof: { challenge?: string | undefined; nonce?: string | undefined },
    expected: { fanId: string; eventId: string; bits: number },
  ): void;
}

/** `secret`: the stage's JWT secret, from which the challenges' own key is derived. */
export function createProofOfWork(options: { secret: string; clock: Clock }): ProofOfWork {
  const key = createHmac("sha256", options.secret).update(KEY_LABEL).digest();
  const sign = (payload: string) => createHmac("sha256", key).update(payload).digest();

  return {
    issue(fanId, eventId, bits) {
      const expiresAt = options.clock.now() + CHALLENGE_TTL_MS;
      const claims: ChallengeClaims = { e: eventId, f: fanId, b: bits, x: expiresAt, n: randomBytes(12).toString("base64url") };
      const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
      return { challenge: `${payload}.${sign(payload).toString("base64url")}`, bits, expiresAt: new Date(expiresAt).toISOString() };
    },

    verify({ challenge, nonce }, expected) {
      const refuse = (why: string) => {
        throw new PushgateError(
          "CHALLENGE_REQUIRED",
          `${why}; GET /queues/${expected.eventId}/challenge, find a nonce whose SHA-256 of "challenge:nonce" starts with ${expected.bits} zero bits, and join with {"challenge","nonce"}`,
          { bits: expected.bits },
        );
      };
      if (challenge === undefined || nonce === undefined) refuse("this queue asks a proof of work to join");
      if (challenge!.length > MAX_CHALLENGE_LENGTH || !NONCE_PATTERN.test(nonce!)) refuse("the challenge or the nonce is malformed");
      const [payload, signature] = challenge!.split(".");
      if (payload === undefined || signature === undefined) return refuse("the challenge is not one this API issued");
      const expectedSignature = sign(payload);
      const given = Buffer.from(signature, "base64url");
      if (given.length !== expectedSignature.length || !timingSafeEqual(given, expectedSignature)) {
        return refuse("the challenge is not one this API issued");
      }
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as ChallengeClaims;
      if (claims.e !== expected.eventId || claims.f !== expected.fanId) refuse("the challenge was issued for another fan or another event");
      if (options.clock.now() >= claims.x) refuse("the challenge expired");
      if (claims.b < expected.bits) refuse(`the challenge asked ${claims.b} bits and this queue now asks ${expected.bits}`);
      const hash = createHash("sha256").update(proofOfWorkInput(challenge!, nonce!)).digest();
      if (leadingZeroBits(hash) < claims.b) refuse(`the nonce does not give ${claims.b} leading zero bits`);
    },
  };
}

/** Find the nonce (for tests, the bench and scripted tools; the browser solves with Web Crypto). */
export function solveChallenge(challenge: string, bits: number): string {
  for (let nonce = 0; ; nonce++) {
    const candidate = String(nonce);
    if (leadingZeroBits(createHash("sha256").update(proofOfWorkInput(challenge, candidate)).digest()) >= bits) return candidate;
  }
}

/** Proof-of-work challenges: the leading-zero count the browser and server share, and a challenge's checks. */
import { describe, expect, it } from "vitest";
import type { PushgateError } from "../src/errors";
import { createProofOfWork, solveChallenge } from "../src/waiting-room/proof-of-work";
import { leadingZeroBits } from "../src/wire";

describe("leadingZeroBits", () => {
  it("counts zero bits from the first byte on", () => {
    expect(leadingZeroBits(new Uint8Array([0x80, 0]))).toBe(0);
    expect(leadingZeroBits(new Uint8Array([0x01]))).toBe(7);
    expect(leadingZeroBits(new Uint8Array([0, 0x0f, 0xff]))).toBe(12);
    expect(leadingZeroBits(new Uint8Array([0, 0, 0, 0]))).toBe(32);
  });
});

describe("createProofOfWork", () => {
  let now = Date.UTC(2030, 0, 1);
  const clock = { now: () => now };
  const work = createProofOfWork({ secret: "s3cret", clock });
  const expected = { fanId: "fan-1", eventId: "e1", bits: 10 };

  it("accepts a solved challenge of the fan and event, in time", () => {
    const { challenge, bits } = work.issue("fan-1", "e1", 10);
    expect(() => work.verify({ challenge, nonce: solveChallenge(challenge, bits) }, expected)).not.toThrow();
  });

  it("refuses one signed with another secret, one past its expiry, and one without a proof, each with CHALLENGE_REQUIRED and the bits", () => {
    const other = createProofOfWork({ secret: "another", clock }).issue("fan-1", "e1", 10);
    const refusal = (proof: { challenge?: string; nonce?: string }) => {
      try {
        work.verify(proof, expected);
      } catch (error) {
        return error as PushgateError;
      }
      return undefined;
    };
    expect(refusal({ challenge: other.challenge, nonce: solveChallenge(other.challenge, 10) })).toMatchObject({
      code: "CHALLENGE_REQUIRED",
      details: { bits: 10 },
    });
    const { challenge } = work.issue("fan-1", "e1", 10);
    const nonce = solveChallenge(challenge, 10);
    now += 10 * 60_000;
    expect(refusal({ challenge, nonce })?.message).toMatch(/expired/);
    expect(refusal({})?.message).toMatch(/asks a proof of work/);
    expect(refusal({ challenge, nonce: "12a" })?.message).toMatch(/malformed/);
  });
});

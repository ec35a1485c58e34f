/** The browser's proof-of-work solver, with Web Crypto's SHA-256 as Node provides it. */
import { leadingZeroBits, proofOfWorkInput } from "@pushgate/client";
import { createHash, webcrypto } from "node:crypto";
import { describe, expect, it } from "vitest";
import { solveProofOfWork } from "../src/proof-of-work.js";

const digest = (data: Uint8Array<ArrayBuffer>) => webcrypto.subtle.digest("SHA-256", data);

describe("solveProofOfWork", () => {
  it("finds a nonce whose SHA-256 of challenge:nonce has the bits, as the server checks it, reporting progress", async () => {
    const progress: number[] = [];
    const nonce = await solveProofOfWork("abc.def", 12, { digest, onProgress: (fraction) => progress.push(fraction) });
    expect(nonce).toMatch(/^[0-9]+$/);
    expect(leadingZeroBits(createHash("sha256").update(proofOfWorkInput("abc.def", nonce)).digest())).toBeGreaterThanOrEqual(12);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it("says what is missing where there is no Web Crypto", async () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, "crypto");
    Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true });
    try {
      await expect(solveProofOfWork("x", 4)).rejects.toThrow(/Web Crypto/);
    } finally {
      if (saved) Object.defineProperty(globalThis, "crypto", saved);
    }
  });
});

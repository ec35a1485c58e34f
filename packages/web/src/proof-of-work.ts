/**
 * Solving a join's proof-of-work challenge in the browser (docs/waiting-room.md,
 * "Proof of work"): SHA-256 with Web Crypto over `proofOfWorkInput(challenge,
 * nonce)` for nonces 0, 1, 2, ... until one has `bits` leading zero bits.
 * Digests run in batches that are awaited together, so the page stays
 * responsive (each batch yields to the event loop) and the fan sees progress.
 */
import { leadingZeroBits, proofOfWorkInput } from "@pushgate/client";

type Digest = (data: Uint8Array<ArrayBuffer>) => Promise<ArrayBuffer>;

/** Hashes in flight at once: enough to keep Web Crypto busy, few enough to report progress often. */
const BATCH = 512;

export interface SolveOptions {
  /** Called after each batch with an estimate in [0, 1): the chance a solution would have been found by now. */
  onProgress?: (fraction: number) => void;
  /** Default Web Crypto's SHA-256 (`crypto.subtle`). */
  digest?: Digest;
}

export async function solveProofOfWork(challenge: string, bits: number, options: SolveOptions = {}): Promise<string> {
  const digest = options.digest ?? webCryptoDigest();
  const encoder = new TextEncoder();
  const expectedTries = 2 ** bits;
  for (let start = 0; ; start += BATCH) {
    const nonces = Array.from({ length: BATCH }, (_, i) => String(start + i));
    const hashes = await Promise.all(nonces.map((nonce) => digest(encoder.encode(proofOfWorkInput(challenge, nonce)))));
    const found = hashes.findIndex((hash) => leadingZeroBits(new Uint8Array(hash)) >= bits);
    if (found >= 0) {
      options.onProgress?.(1);
      return nonces[found]!;
    }
    // Geometric: after n tries the chance of having found one is 1 - (1 - 2^-bits)^n.
    options.onProgress?.(1 - Math.exp(-(start + BATCH) / expectedTries));
  }
}

function webCryptoDigest(): Digest {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle)
    throw new Error("this browser has no Web Crypto (crypto.subtle), which joining this queue needs; use a current browser over https");
  return (data) => subtle.digest("SHA-256", data);
}

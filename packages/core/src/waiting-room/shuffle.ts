/**
 * The opening draw of a waiting room: a uniformly random order of the
 * pre-queue from a cryptographic source.
 *
 * Fisher-Yates with `crypto.randomInt`, which draws each index by rejection
 * sampling (no modulo bias), so each of the n! orders has the same chance and
 * no one can predict or replay the draw from earlier ones (unlike Math.random,
 * whose xorshift state leaks through its outputs).
 */
import { randomInt } from "node:crypto";

/** Largest range `randomInt` accepts (max - min must be below 2^48). */
const MAX_DRAW = 2 ** 48 - 1;

export type RandomIndex = (exclusiveMax: number) => number;

export const cryptoRandomIndex: RandomIndex = (exclusiveMax) => randomInt(exclusiveMax);

/** A new array with the items in a uniformly random order. */
export function shuffled<T>(items: readonly T[], randomIndex: RandomIndex = cryptoRandomIndex): T[] {
  if (items.length > MAX_DRAW) throw new Error(`cannot shuffle ${items.length} items: more than 2^48 - 1`);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomIndex(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

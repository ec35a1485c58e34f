import type { RandomSource } from "./environment";

/**
 * Full-jitter exponential backoff (the AWS Architecture Blog's "full jitter",
 * as centrifuge-js does it): delay = random() * min(cap, base * 2^attempt).
 *
 * Why full jitter: when a gateway restarts, every fan drops at the same
 * instant. A fixed or merely exponential delay brings them all back at the same
 * instant again; spreading each retry uniformly over [0, ceiling] turns that
 * spike into a flat line.
 */
export interface BackoffOptions {
  /** Ceiling of the first retry. */
  baseMs: number;
  /** No retry waits longer than this. */
  capMs: number;
}

export const RECONNECT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 20_000 };

/** The largest delay attempt `attempt` (0-based) may get: min(cap, base * 2^attempt). */
/** The first attempt whose ceiling is the cap (6 for 0.5 s to 20 s). */
export const attemptAtCap = (options: BackoffOptions) => Math.ceil(Math.log2(options.capMs / options.baseMs));

export function backoffCeiling(options: BackoffOptions, attempt: number): number {
  // 2 ** attempt overflows to Infinity for huge attempts; min() keeps it at the cap.
  return Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt));
}

/** A delay uniformly spread over [0, ceiling(attempt)). */
export function fullJitterDelay(options: BackoffOptions, attempt: number, random: RandomSource): number {
  return Math.floor(random() * backoffCeiling(options, attempt));
}

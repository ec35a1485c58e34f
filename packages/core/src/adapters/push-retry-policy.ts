/**
 * The one retry policy for pushes through the Management API, whichever client
 * sends them (the SDK's, through `pushRetryStrategy`, or the lean one):
 * throttling (429), server errors (5xx) and failures without an HTTP answer
 * are retried with full-jitter exponential backoff; a client error (403, 410,
 * 413) never is, since sending it again cannot change the answer.
 */

export interface PushRetryOptions {
  /** Attempts per call, the first included (SDK default 3). */
  maxAttempts: number;
  /** Full-jitter exponential backoff: a delay in [0, min(capMs, baseMs * 2^retry)). */
  baseMs: number;
  capMs: number;
  random?: () => number;
}

export const DEFAULT_PUSH_RETRY: PushRetryOptions = { maxAttempts: 3, baseMs: 100, capMs: 2_000 };

/** 429, 5xx, or no HTTP answer at all (`status` undefined): the downstream is sick, not the request. */
export const isUnavailableStatus = (status: number | undefined): boolean => status === undefined || status === 429 || status >= 500;

/** The wait before retry number `retry` (1 for the first retry). */
export const retryDelayMs = (options: PushRetryOptions, retry: number): number =>
  Math.floor((options.random ?? Math.random)() * Math.min(options.capMs, options.baseMs * 2 ** retry));

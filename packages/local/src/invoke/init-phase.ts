/**
 * Lambda's init phase, as the local invoker and both sandboxes count it: a
 * sandbox's module load (its cold start) is not part of any invocation's
 * timeout for the first INIT_LIMIT_MS of the sandbox's life; past that, what
 * is left of the load counts against the invocation waiting on it (AWS
 * retries the init inside the first invocation, "with the configured function
 * timeout"; here the load in progress simply goes on, see docs/local-cloud.md).
 */

/** Lambda's on-demand init limit (execution environment lifecycle, "Init phase"). */
export const INIT_LIMIT_MS = 10_000;

export interface InitPhaseTimes {
  /** When the invocation reached its sandbox. */
  invokedAt: number;
  /** When the sandbox began loading the handler's module. */
  initStartedAt: number;
  initLimitMs: number;
}

/**
 * When an invocation's timeout starts counting if its sandbox is still
 * loading: at the init limit, or at once when it came in after that.
 * (When the load ends first, counting starts then instead.)
 */
export function countingStartsAt({ invokedAt, initStartedAt, initLimitMs }: InitPhaseTimes): number {
  return Math.max(invokedAt, initStartedAt + initLimitMs);
}

/**
 * The invocation's deadline, for its handler's getRemainingTimeInMillis:
 * its timeout counted from the end of the load or the init limit, whichever
 * came first (from the invocation itself if the sandbox was warm).
 */
export function invocationDeadline(times: InitPhaseTimes & { initEndedAt: number; timeoutMs: number }): number {
  const startsAt = times.initEndedAt <= times.invokedAt ? times.invokedAt : Math.min(times.initEndedAt, countingStartsAt(times));
  return startsAt + times.timeoutMs;
}

/** What a cancelled invocation's run() settles with (nobody waits for it any more). */
export const TIMED_OUT_DURING_INIT = "the invocation timed out while its sandbox was still loading the handler; its handler never ran";

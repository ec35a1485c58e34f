/**
 * Per-fan and per-address quotas: how many report jobs and queue joins a fan
 * may make, and how many anonymous sessions one address may start, each in a
 * fixed window. Over a quota the caller gets 429 RATE_LIMITED with
 * `retryAfterSeconds` (and `Retry-After`): the seconds until the window turns.
 *
 * Fixed windows let a caller spend up to twice a limit across a window's edge;
 * that is the price of one conditional write per request, and a bound of 2x
 * is still a bound (docs/reliability.md).
 */
import { PushgateError } from "../errors";
import type { Clock, QuotaCounter } from "../ports";

export interface QuotaLimit {
  /** Uses allowed per window; 0 turns the quota off. */
  limit: number;
  windowSeconds: number;
}

export interface QuotaSettings {
  jobsPerFan: QuotaLimit;
  joinsPerFan: QuotaLimit;
  sessionsPerAddress: QuotaLimit;
  /**
   * Whether `sessionsPerAddress` counts loopback callers too. Off by default:
   * locally every fan of a benchmark, the soak and the tests comes from
   * 127.0.0.1, and on AWS no caller is loopback.
   */
  sessionsFromLoopback: boolean;
}

export type QuotaName = "jobsPerFan" | "joinsPerFan" | "sessionsPerAddress";

const WHAT: Record<QuotaName, (limit: QuotaLimit) => string> = {
  jobsPerFan: ({ limit, windowSeconds }) => `a fan may create ${limit} report job(s) per ${duration(windowSeconds)}`,
  joinsPerFan: ({ limit, windowSeconds }) => `a fan may join queues ${limit} time(s) per ${duration(windowSeconds)}`,
  sessionsPerAddress: ({ limit, windowSeconds }) =>
    `${limit} new session(s) per ${duration(windowSeconds)} may start from one address (renew your token instead: send it as Bearer)`,
};

/** Counts one use of quota `name` by `subject` (a fan id or an address); RATE_LIMITED when it is spent. */
export async function enforceQuota(
  deps: { quotaCounter: QuotaCounter; quotas: QuotaSettings; clock: Clock },
  name: QuotaName,
  subject: string,
): Promise<void> {
  const quota = deps.quotas[name];
  if (quota.limit === 0) return;
  if (name === "sessionsPerAddress" && !deps.quotas.sessionsFromLoopback && isLoopback(subject)) return;
  const taken = await deps.quotaCounter.take(`${name}#${subject}`, quota.limit, quota.windowSeconds, new Date(deps.clock.now()));
  if (!taken.allowed) {
    throw new PushgateError("RATE_LIMITED", `${WHAT[name](quota)}; retry after ${taken.retryAfterSeconds} s`, {
      retryAfterSeconds: taken.retryAfterSeconds,
    });
  }
}

/** 127.0.0.0/8 and ::1 (also IPv4-mapped). */
export const isLoopback = (address: string) => /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(address) || address === "::1";

/** Which fixed window `now` falls in, and the seconds until it turns (at least 1). */
export function quotaWindow(now: Date, windowSeconds: number): { index: number; endsAtSeconds: number; retryAfterSeconds: number } {
  const nowSeconds = now.getTime() / 1000;
  const index = Math.floor(nowSeconds / windowSeconds);
  const endsAtSeconds = (index + 1) * windowSeconds;
  return { index, endsAtSeconds, retryAfterSeconds: Math.max(1, Math.ceil(endsAtSeconds - nowSeconds)) };
}

function duration(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? "hour" : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? "minute" : `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

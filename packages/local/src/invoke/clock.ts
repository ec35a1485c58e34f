/**
 * Time and timers, injected so that timeouts, idle limits and rate limits can
 * be tested deterministically with a fake clock instead of real waiting. The
 * shapes are the one `Clock` and `Timers` of core's wire module; this file owns
 * the local cloud's system timers, which never keep the process alive.
 */
import type { Timers } from "@pushgate/core/wire";

export type { Clock, TimerHandle, Timers } from "@pushgate/core/wire";
export { systemClock } from "@pushgate/core/wire";

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // A pending limit timer must never keep the process (or a test run) alive.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};

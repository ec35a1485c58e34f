/**
 * Route faults a test injects through the local cloud: the next n invocations
 * of a route run to the end (their writes happen) and then their answer is
 * lost, as when API Gateway's integration timed out (29 s) after the function
 * had done its work. The gateway then answers as it does for any failed
 * integration (`{"message":"Internal server error",...}` on a socket, 500 on
 * the HTTP API), at once rather than 29 s later, so a test need not wait.
 */
import type { Log } from "../log";
import { FunctionTimeoutError, type Invoke } from "./invoker";

/** The route key an API Gateway event names (`subscribe`, `$connect`, `GET /snapshots`), if any. */
function routeKeyOf(event: unknown): string | undefined {
  const routeKey = (event as { requestContext?: { routeKey?: unknown } } | null)?.requestContext?.routeKey;
  return typeof routeKey === "string" ? routeKey : undefined;
}

/** The integration timeout the lost answers stand for (API Gateway's, both APIs). */
const INTEGRATION_TIMEOUT_MS = 29_000;

export class RouteFaults {
  private readonly timeouts = new Map<string, number>();

  constructor(private readonly log: Log) {}

  /** The next `times` invocations of `routeKey` lose their answer as timed out; 0 clears it. */
  timeOut(routeKey: string, times: number): void {
    if (times > 0) this.timeouts.set(routeKey, times);
    else this.timeouts.delete(routeKey);
  }

  wrap(invoke: Invoke): Invoke {
    return async (fn, event, name) => {
      const result = await invoke(fn, event, name);
      const routeKey = routeKeyOf(event);
      const left = routeKey === undefined ? 0 : (this.timeouts.get(routeKey) ?? 0);
      if (routeKey === undefined || left === 0) return result;
      this.timeOut(routeKey, left - 1);
      this.log("warn", `injected fault: the answer of route ${routeKey} is lost as an integration timeout (${left - 1} more to come)`);
      throw new FunctionTimeoutError(name ?? routeKey, INTEGRATION_TIMEOUT_MS);
    };
  }
}

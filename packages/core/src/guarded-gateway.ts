/**
 * The Gateway port behind the circuit breaker and its concurrency limit: the
 * composition root wraps the Management API adapter in this, so every push and
 * every DeleteConnection of a function instance shares one breaker.
 */
import { CircuitBreaker, type CircuitBreakerOptions } from "./circuit-breaker";
import { isGatewayUnavailable } from "./errors";
import type { Gateway, Log, Meter, PostOutcome } from "./ports";

export type GuardOptions = Omit<CircuitBreakerOptions, "isFailure" | "onStateChange">;

export class GuardedGateway implements Gateway {
  readonly breaker: CircuitBreaker;

  constructor(
    private readonly inner: Gateway,
    options: GuardOptions,
    log: Log,
    meter?: Pick<Meter, "count">,
  ) {
    this.breaker = new CircuitBreaker({
      ...options,
      isFailure: isGatewayUnavailable,
      onStateChange: (to, stats) => {
        const message = `circuit breaker around the Management API is now ${to}`;
        if (to === "open") {
          log.error(message, { circuit: to, ...stats });
          meter?.count("BreakerOpens", 1);
        } else log.warn(message, { circuit: to, ...stats });
      },
    });
  }

  post(connectionId: string, data: string): Promise<PostOutcome> {
    return this.breaker.run(() => this.inner.post(connectionId, data));
  }

  delete(connectionId: string): Promise<void> {
    return this.breaker.run(() => this.inner.delete(connectionId));
  }
}

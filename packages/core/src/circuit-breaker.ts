/**
 * A circuit breaker with a bulkhead, around the one downstream that a spike
 * can make sick: the API Gateway Management API.
 *
 * - closed: calls go through, at most `maxConcurrent` at a time (the rest
 *   queue); outcomes are counted in a tumbling window of `windowMs`. When the
 *   window holds at least `minimumVolume` calls and the share of failures is at
 *   or above `failureRateThreshold`, the circuit opens.
 * - open: no call reaches the downstream for `sleepWindowMs`. A caller waits
 *   for the window to end if its own deadline (`maxWaitMs`) allows, else it is
 *   rejected at once with CircuitOpenError: a sick downstream is not hammered,
 *   and a publication that cannot wait is reported for retry instead.
 * - half-open: one probe goes through; its success closes the circuit, its
 *   failure opens it for another sleep window.
 *
 * Only failures that say the downstream is unhealthy count (`isFailure`: 429,
 * 5xx, network); a 410 or a 413 is an answer. Time comes from an injected
 * clock and sleep, so the state machine is tested without waiting.
 */
import type { Clock } from "./ports";

/** The breaker's tunables: what configuration sets (config.ts `breaker`). */
export interface BreakerSettings {
  /** Share of failed calls (0-1] that opens the circuit. */
  failureRateThreshold: number;
  /** Calls the window must hold before the rate is judged. */
  minimumVolume: number;
  /** Length of the tumbling window the rate is measured over. */
  windowMs: number;
  /** How long an open circuit lets nothing through. */
  sleepWindowMs: number;
  /** Calls in flight at most; more wait their turn. */
  maxConcurrent: number;
  /** How long one call may wait for an open circuit (or a half-open probe) before it is rejected. */
  maxWaitMs: number;
}

export interface CircuitBreakerOptions extends BreakerSettings {
  clock: Clock;
  sleep(ms: number): Promise<void>;
  /** Does this error count against the downstream's health? */
  isFailure(error: unknown): boolean;
  /** Told of every state change (logs, metrics). */
  onStateChange?(to: CircuitState, stats: { calls: number; failures: number }): void;
}

export type CircuitState = "closed" | "open" | "half-open";

export class CircuitOpenError extends Error {
  override readonly name = "CircuitOpenError";
  constructor(readonly retryAfterMs: number) {
    super(`the circuit around the downstream is open; not calling it for another ${retryAfterMs} ms`);
  }
}

export class CircuitBreaker {
  private state: CircuitState = "closed";
  private openedAt = 0;
  private windowStart: number;
  private calls = 0;
  private failures = 0;
  private probing = false;
  private inFlight = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!(options.failureRateThreshold > 0 && options.failureRateThreshold <= 1)) throw new Error("failureRateThreshold must be in (0, 1]");
    if (options.maxConcurrent < 1 || options.minimumVolume < 1) throw new Error("maxConcurrent and minimumVolume must be at least 1");
    this.windowStart = this.now();
  }

  /** The state now (an open circuit whose sleep window passed reads as half-open). */
  get currentState(): CircuitState {
    if (this.state === "open" && this.now() - this.openedAt >= this.options.sleepWindowMs) this.transition("half-open");
    return this.state;
  }

  get concurrency(): number {
    return this.inFlight;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    const deadline = this.now() + this.options.maxWaitMs;
    let probe = false;
    for (;;) {
      const state = this.currentState;
      if (state === "closed") break;
      if (state === "half-open" && !this.probing) {
        this.probing = true;
        probe = true;
        break;
      }
      // Open, or half-open with the probe in flight: wait (not call) if the deadline allows.
      const untilHalfOpen =
        state === "open"
          ? this.openedAt + this.options.sleepWindowMs - this.now()
          : Math.max(1, Math.floor(this.options.sleepWindowMs / 10));
      if (this.now() + untilHalfOpen > deadline) throw new CircuitOpenError(Math.max(0, untilHalfOpen));
      await this.options.sleep(untilHalfOpen);
    }

    await this.acquire();
    try {
      const result = await call();
      this.record(false, probe);
      return result;
    } catch (error) {
      this.record(this.options.isFailure(error), probe);
      throw error;
    } finally {
      if (probe) this.probing = false;
      this.release();
    }
  }

  private record(failed: boolean, probe: boolean): void {
    if (probe) {
      this.transition(failed ? "open" : "closed");
      return;
    }
    const now = this.now();
    if (now - this.windowStart >= this.options.windowMs) this.resetWindow(now);
    this.calls++;
    if (failed) this.failures++;
    if (
      this.state === "closed" &&
      this.calls >= this.options.minimumVolume &&
      this.failures / this.calls >= this.options.failureRateThreshold
    ) {
      this.transition("open");
    }
  }

  private transition(to: CircuitState): void {
    if (this.state === to) return;
    const stats = { calls: this.calls, failures: this.failures };
    this.state = to;
    if (to === "open") this.openedAt = this.now();
    if (to === "closed") this.resetWindow(this.now());
    this.options.onStateChange?.(to, stats);
  }

  private resetWindow(now: number): void {
    this.windowStart = now;
    this.calls = 0;
    this.failures = 0;
  }

  private acquire(): Promise<void> {
    if (this.inFlight < this.options.maxConcurrent) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(() => resolve()));
  }

  private release(): void {
    const next = this.queue.shift();
    // The slot passes straight to the next waiter: inFlight stays the same.
    if (next) next();
    else this.inFlight--;
  }

  private now(): number {
    return this.options.clock.now();
  }
}

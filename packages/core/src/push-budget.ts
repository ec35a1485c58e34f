/**
 * A fan-out worker's share of the stage's push budget toward the Management
 * API: the Gateway port, paced to `ratePerSecond` posts.
 *
 * Workers share the budget without talking to each other: each takes
 * budget / (the task consumer's maxConcurrency), the most workers Lambda
 * runs at once, so together they never exceed it (fewer workers leave some
 * unused; a shared counter in DynamoDB would cost a write per slice and add a
 * hop to every push). Pacing is virtual scheduling: each post is given the
 * next slot `1000 / rate` ms after the previous one and waits for it.
 *
 * When the Management API still answers 429 after the client's own retries
 * (the account quota is shared with every other API call of the account),
 * the worker halves its rate, then wins it back a little with each success
 * (additive increase, multiplicative decrease, as TCP does). A 429 for one
 * slow client (its buffer full) is an outcome, not a throw, and does not slow anyone.
 */
import { isGatewayUnavailable } from "./errors";
import type { Clock, Gateway, PostOutcome } from "./ports";

export interface PushBudgetOptions {
  ratePerSecond: number;
  clock: Clock;
  sleep(ms: number): Promise<void>;
}

/** Below this the worker does not slow further: one post a second still drains a task. */
const MIN_RATE = 1;
/** Each success wins back this share of the configured rate. */
const RECOVERY_PER_SUCCESS = 1 / 100;

export class PacedGateway implements Gateway {
  private nextAt = 0;
  private rate: number;

  constructor(
    private readonly inner: Gateway,
    private readonly options: PushBudgetOptions,
  ) {
    this.rate = options.ratePerSecond;
  }

  /** The rate this worker paces to now (lower than configured after a throttle). */
  get currentRate(): number {
    return this.rate;
  }

  async post(connectionId: string, data: string): Promise<PostOutcome> {
    await this.slot();
    try {
      const outcome = await this.inner.post(connectionId, data);
      this.rate = Math.min(this.options.ratePerSecond, this.rate + this.options.ratePerSecond * RECOVERY_PER_SUCCESS);
      return outcome;
    } catch (error) {
      if (isGatewayUnavailable(error) && (error as { status?: number }).status === 429) this.rate = Math.max(MIN_RATE, this.rate / 2);
      throw error;
    }
  }

  /** Deletes are rare (abusers, gone connections are already gone): not paced. */
  delete(connectionId: string): Promise<void> {
    return this.inner.delete(connectionId);
  }

  private async slot(): Promise<void> {
    const now = this.options.clock.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + 1000 / this.rate;
    if (at > now) await this.options.sleep(at - now);
  }
}

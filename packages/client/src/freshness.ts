/**
 * How current the client's data is, client-wide: the last moment it knew every
 * held topic was up to date (a live socket proved itself, or a polling round
 * of the snapshots succeeded). The page shows the age of its data from this and
 * dims it when it grows old, instead of trusting a "Live" badge.
 */
import type { Clock } from "./environment";
import { ExternalStore, type ReadableStore } from "./externalStore";

export interface Freshness {
  /** Epoch ms (the client's clock) of the last confirmation; undefined before the first. */
  confirmedAt: number | undefined;
}

/**
 * A confirmation per frame would re-render a page on every push; a second's
 * resolution is all "12 s ago" needs.
 */
const RESOLUTION_MS = 1_000;

export class FreshnessTracker {
  private readonly store = new ExternalStore<Freshness>({ confirmedAt: undefined });

  constructor(private readonly clock: Clock) {}

  get readable(): ReadableStore<Freshness> {
    return this.store;
  }

  /** Every held topic is known to be current as of `at` (default now). */
  confirm(at: number = this.clock.now()): void {
    const last = this.store.getSnapshot().confirmedAt;
    if (last !== undefined && at - last < RESOLUTION_MS) return;
    this.store.set({ confirmedAt: at });
  }
}

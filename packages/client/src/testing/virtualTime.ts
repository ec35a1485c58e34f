/**
 * Virtual time for a push client under test: its injected `timers` and
 * `clock`, which fire only when the test moves time forward, and a seeded
 * random for its backoff jitter. The testing kit drives the client with these;
 * the client's own socket tests (test/support) reuse them over real sockets.
 */
import type { Clock, Timers } from "../environment";

/** Where virtual time starts unless the test says: a fixed instant, so every run renders the same times. */
export const DEFAULT_START = Date.UTC(2026, 10, 22, 12, 0, 0);

export class ManualClock implements Timers, Clock {
  private current: number;
  private nextId = 1;
  private readonly scheduled = new Map<number, { at: number; callback: () => void }>();
  /** Told whenever a timer is scheduled, so a test can wait for the client to arm its next one. */
  onSchedule: () => void = () => {};

  constructor(start = DEFAULT_START) {
    this.current = start;
  }

  readonly now = (): number => this.current;

  readonly setTimeout = (callback: () => void, delayMs: number): number => {
    const id = this.nextId++;
    this.scheduled.set(id, { at: this.current + Math.max(0, delayMs), callback });
    this.onSchedule();
    return id;
  };

  readonly clearTimeout = (handle: unknown): void => {
    if (typeof handle === "number") this.scheduled.delete(handle);
  };

  /** When the earliest timer is due, or undefined when none is scheduled. */
  nextDueAt(): number | undefined {
    let earliest: number | undefined;
    for (const { at } of this.scheduled.values()) if (earliest === undefined || at < earliest) earliest = at;
    return earliest;
  }

  /** Whether some timer falls due within `ms` from now. */
  dueWithin(ms: number): boolean {
    const at = this.nextDueAt();
    return at !== undefined && at - this.current <= ms;
  }

  /**
   * Fire the earliest timer due at or before `target` (time moves to it), or
   * return false when none is. Callers that must let each timer's async work
   * finish before the next one fires (the kit) step with this.
   */
  fireNextDueBy(target: number): boolean {
    let dueId: number | undefined;
    let due: { at: number; callback: () => void } | undefined;
    for (const [id, timer] of this.scheduled) {
      if (timer.at <= target && (due === undefined || timer.at < due.at)) {
        dueId = id;
        due = timer;
      }
    }
    if (due === undefined || dueId === undefined) return false;
    this.scheduled.delete(dueId);
    this.current = Math.max(this.current, due.at);
    due.callback();
    return true;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    while (this.fireNextDueBy(target)) {}
    this.current = target;
  }

  /** Set the time without firing anything (the kit moves to its target after stepping through timers). */
  moveTo(target: number): void {
    this.current = Math.max(this.current, target);
  }

  /** Jump straight to the earliest scheduled timer and fire it (and any due with it). */
  advanceToNext(): number {
    const at = this.nextDueAt();
    if (at === undefined) throw new Error("advanceToNext: no timer is scheduled; advance(ms) moves time without one");
    const delta = at - this.current;
    this.advance(delta);
    return delta;
  }
}

/** mulberry32: a small seeded PRNG, so jitter is random-looking yet the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

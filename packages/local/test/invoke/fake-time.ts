import type { Clock, TimerHandle, Timers } from "../../src/invoke";

/**
 * A manual clock and timer queue: tests move time with advance() instead of
 * waiting, so timeouts and limits are checked without any real delay.
 */
export class FakeTime implements Clock, Timers {
  private current: number;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();

  constructor(start = Date.UTC(2026, 10, 22, 12, 0, 0)) {
    this.current = start;
  }

  now = () => this.current;

  setTimeout = (callback: () => void, ms: number): TimerHandle => {
    const id = this.nextId++;
    this.pending.set(id, { at: this.current + Math.max(0, ms), callback });
    return id;
  };

  clearTimeout = (handle: TimerHandle) => {
    this.pending.delete(handle as number);
  };

  /** Moves time forward, firing due timers in order (including ones they schedule). */
  advance(ms: number) {
    const target = this.current + ms;
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const timer of this.pending) if (timer[1].at <= target && (!due || timer[1].at < due[1].at)) due = timer;
      if (!due) break;
      this.pending.delete(due[0]);
      this.current = Math.max(this.current, due[1].at);
      due[1].callback();
    }
    this.current = target;
  }

  get timerCount() {
    return this.pending.size;
  }
}

/** A Log that keeps lines for assertions and keeps test output quiet. */
export function collectingLog() {
  const lines: { level: string; message: string }[] = [];
  const log = (level: string, message: string) => {
    lines.push({ level, message });
  };
  return { log, lines, text: () => lines.map((line) => `${line.level}: ${line.message}`).join("\n") };
}

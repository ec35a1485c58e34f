/**
 * The local EventBridge: runs each topology schedule's function on its rate,
 * with the event a scheduled rule sends, as AWS does (a run starts on time
 * even while the previous one still runs; rate(N minutes) first fires N
 * minutes after the rule exists). Tests and tools trigger one at
 * once with `run(name)` instead of waiting for the minute.
 */
import { randomUUID } from "node:crypto";
import type { ScheduleDecl } from "@pushgate/core/topology";
import type { Invoke } from "../invoke";
import { systemTimers, type Timers } from "../invoke/clock";
import { describeError, type Log } from "../log";

export interface Scheduler {
  /** Invokes the schedule's function now; resolves with its result, rejects with its error. */
  run(name: string): Promise<unknown>;
  stop(): Promise<void>;
}

export interface SchedulerOptions {
  schedules: Record<string, ScheduleDecl>;
  invoke: Invoke;
  log: Log;
  region: string;
  accountId?: string;
  timers?: Timers;
  now?: () => Date;
}

/** The event an EventBridge scheduled rule delivers to Lambda. */
export function scheduledEvent(name: string, time: Date, region: string, accountId: string) {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: accountId,
    time: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: [`arn:aws:events:${region}:${accountId}:rule/${name}`],
    detail: {},
  };
}

export function startScheduler(options: SchedulerOptions): Scheduler {
  const timers = options.timers ?? systemTimers;
  const now = options.now ?? (() => new Date());
  const accountId = options.accountId ?? "123456789012";
  const handles = new Map<string, ReturnType<Timers["setTimeout"]>>();
  let stopped = false;

  function run(name: string): Promise<unknown> {
    const schedule = options.schedules[name];
    if (!schedule) {
      return Promise.reject(
        new Error(`no schedule "${name}" in topology.ts; the schedules are: ${Object.keys(options.schedules).join(", ") || "none"}`),
      );
    }
    return options.invoke(schedule.function, scheduledEvent(name, now(), options.region, accountId), name);
  }

  for (const [name, schedule] of Object.entries(options.schedules)) {
    const periodMs = schedule.rateMinutes * 60_000;
    const tick = () => {
      if (stopped) return;
      handles.set(name, timers.setTimeout(tick, periodMs));
      run(name).catch((error: unknown) => {
        if (!stopped) options.log("error", `schedule ${name}: ${describeError(error)} (it runs again in ${schedule.rateMinutes} min)`);
      });
    };
    // rate(N minutes) on AWS first fires about N minutes after the rule is created.
    handles.set(name, timers.setTimeout(tick, periodMs));
  }

  return {
    run,
    // A run in progress is not awaited: a tick may be waiting up to a minute for an opening, and the
    // services it would write to stop right after this anyway (its failure is then not reported).
    async stop() {
      stopped = true;
      for (const handle of handles.values()) timers.clearTimeout(handle);
    },
  };
}

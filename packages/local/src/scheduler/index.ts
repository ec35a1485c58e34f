export { scheduledEvent, startScheduler } from "./scheduler";
export type { Scheduler, SchedulerOptions } from "./scheduler";

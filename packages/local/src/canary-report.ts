/**
 * One line per canary run, the same in `npm run canary` and `npm start`'s
 * status: what a human reads to know whether push works right now.
 */
import type { CanaryReport } from "@pushgate/core/usecases/canary";

export function describeCanary(report: CanaryReport): string {
  return report.ok
    ? `canary ok: ${report.topic} seq ${report.seq} pushed in ${report.latencyMs} ms, snapshot in ${report.snapshotMs} ms`
    : `canary FAILED at ${report.step} after ${report.elapsedMs} ms: ${report.reason}`;
}

/** The value a schedule run resolved with, if it is a canary report (a run that threw is not). */
export function asCanaryReport(value: unknown): CanaryReport | undefined {
  return value && typeof value === "object" && "ok" in value && "topic" in value ? (value as CanaryReport) : undefined;
}

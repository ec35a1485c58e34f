/** The reports a fan asked for, kept for the tab (sessionStorage), and which ready ones the fan has seen. */
import type { ReportJob } from "./api.js";

export interface RequestedReport extends ReportJob {
  /** ISO-8601, when the fan asked. */
  requestedAt: string;
}

export function parseReports(raw: unknown): RequestedReport[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  return raw.filter(
    (r): r is RequestedReport =>
      typeof r === "object" &&
      r !== null &&
      typeof r.jobId === "string" &&
      typeof r.topic === "string" &&
      typeof r.requestedAt === "string",
  );
}

/** The sessionStorage key MyResults keeps the requested reports under. */
export const REPORTS_STORAGE_KEY = "pushgate.reports";
const SEEN_KEY = "pushgate.reports.seen";

/** The reports this tab asked for, as MyResults stored them (read fresh: the Results tab's mark is drawn outside MyResults). */
export function storedReports(): RequestedReport[] {
  return parseReports(readJson(REPORTS_STORAGE_KEY)) ?? [];
}

/** Job ids of ready reports the fan has seen in the Results view. */
export function seenReports(): string[] {
  const raw = readJson(SEEN_KEY);
  return Array.isArray(raw) ? raw.filter((id): id is string => typeof id === "string") : [];
}

export function markReportSeen(jobId: string): void {
  const seen = seenReports();
  if (seen.includes(jobId)) return;
  try {
    globalThis.sessionStorage?.setItem(SEEN_KEY, JSON.stringify([...seen, jobId]));
  } catch {
    // Storage blocked: the mark may show once more; nothing else depends on it.
  }
}

function readJson(key: string): unknown {
  try {
    const raw = globalThis.sessionStorage?.getItem(key);
    return raw ? JSON.parse(raw) : undefined;
  } catch {
    return undefined;
  }
}

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

/** Where the reports a fan asked for are kept for the tab's life (a reload keeps them). */
export const REPORTS_STORAGE_KEY = "pushgate.reports";

/** The stored reports, read outside the Results view (which owns the list); none when storage is unreadable. */
export function readStoredReports(): RequestedReport[] {
  try {
    const raw = globalThis.sessionStorage?.getItem(REPORTS_STORAGE_KEY);
    return raw ? (parseReports(JSON.parse(raw)) ?? []) : [];
  } catch {
    return [];
  }
}

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

import { useEffect } from "react";
import { useTopic } from "../hooks.js";
import type { RequestedReport } from "../reports.js";
import { markReportSeen } from "../reports.js";
import { LiveAnnouncer } from "./LiveAnnouncer.js";
import { ReportView } from "./ReportView.js";
import { TopicProblem } from "./TopicProblem.js";

/** One requested report: pending until its job topic says result-ready, then a download link. */
export function ReportRow({ report }: { report: RequestedReport }) {
  const result = useTopic(report.topic);
  const ready = result.data;
  const requested = new Date(report.requestedAt).toLocaleTimeString();
  // The link is presigned: past expiresAt S3 answers 403, so say so instead of offering a dead link.
  const expired = ready !== undefined && Date.parse(ready.expiresAt) <= Date.now();
  // Seen here, so the Results tab does not mark it as new.
  useEffect(() => {
    if (ready) markReportSeen(report.jobId);
  }, [ready, report.jobId]);

  return (
    <li className="card report" data-testid="report" data-job-id={report.jobId} data-status={ready ? "ready" : "pending"}>
      <h2 className="report__title">Contest report · asked at {requested}</h2>
      {!ready && (
        <p className="report__pending" data-testid="report-pending">
          <span className="spinner" aria-hidden="true" /> Preparing your report… you can keep browsing, it will appear here.
        </p>
      )}
      {ready && !expired && <ReportView url={ready.url} />}
      {ready && !expired && (
        <a
          className="button"
          href={ready.url}
          download={`contest-report-${report.jobId}.json`}
          data-testid="report-download"
          data-job-id={report.jobId}
        >
          Download report
        </a>
      )}
      {ready && expired && (
        <p className="notice" data-testid="report-expired">
          This download link expired at {new Date(ready.expiresAt).toLocaleTimeString()}. Ask for a new report above.
        </p>
      )}
      <TopicProblem topic={result} what="this report" />
      <LiveAnnouncer message={ready ? "Your contest report is ready to download." : "Preparing your contest report."} />
    </li>
  );
}

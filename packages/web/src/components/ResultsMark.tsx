/**
 * What the fan learns of a report that became ready while they were on
 * another view: a dot on the Results tab and "Your report is ready" leading the
 * tab title. Each requested report's job topic is held while the fan is away
 * from My results, so the push reaches it; both go once the fan has seen the
 * report there (ReportRow marks it seen).
 */
import { useTopic } from "../hooks.js";
import { useTitleNotice } from "../page-title.js";
import { seenReports, storedReports, type RequestedReport } from "../reports.js";

export const REPORT_READY_NOTICE = "Your report is ready";

export function ResultsMark() {
  const reports = storedReports();
  return (
    <>
      {reports.map((report) => (
        <ReadyProbe key={report.jobId} report={report} />
      ))}
    </>
  );
}

function ReadyProbe({ report }: { report: RequestedReport }) {
  const ready = useTopic(report.topic).data !== undefined;
  const unseen = ready && !seenReports().includes(report.jobId);
  useTitleNotice(unseen ? REPORT_READY_NOTICE : undefined);
  if (!unseen) return null;
  // Only the first of several shows (styles.css), so the tab says it once.
  return (
    <span className="tabs__mark" data-testid="results-mark">
      <span className="visually-hidden">, a report is ready</span>
    </span>
  );
}

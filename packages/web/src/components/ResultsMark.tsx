/**
 * The Results tab's mark: a dot when a report the fan asked for became ready
 * while the fan was on another view. Each requested report's job topic is
 * held while the mark is shown, so the push reaches it; the mark goes once the
 * fan has seen the report in the Results view.
 */
import { useTopic } from "../hooks.js";
import { seenReports, storedReports, type RequestedReport } from "../reports.js";

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
  if (!ready || seenReports().includes(report.jobId)) return null;
  // Only the first of several shows (styles.css), so the tab says it once.
  return (
    <span className="tabs__mark" data-testid="results-mark">
      <span className="visually-hidden">, a report is ready</span>
    </span>
  );
}

/**
 * My results: ask for a contest report, watch it pending, download it the
 * moment the `result-ready` push (or a snapshot, while polling) arrives.
 * Reports are remembered for this tab so a reload does not lose them.
 */
import { useCallback } from "react";
import type { ReportJob } from "../api.js";
import { parseReports, REPORTS_KEY, type RequestedReport } from "../reports.js";
import { ErrorNotice } from "../components/ErrorNotice.js";
import { ReportRow } from "../components/ReportRow.js";
import { usePushServices } from "../push-context.js";
import { useAction } from "../use-action.js";
import { useStoredState } from "../use-stored-state.js";

export function MyResults() {
  const { api } = usePushServices();
  const [reports, setReports] = useStoredState<RequestedReport[]>(REPORTS_KEY, parseReports, []);
  const addReport = useCallback(
    (job: ReportJob) => setReports([{ ...job, requestedAt: new Date().toISOString() }, ...reports]),
    [reports, setReports],
  );
  const request = useAction(api.requestReport, addReport);

  return (
    <section className="view" aria-labelledby="results-title">
      <h1 id="results-title">My results</h1>
      <div className="card">
        <p>Your contest report sums up your picks and points. It takes a moment to prepare; we'll let you know here when it's ready.</p>
        <button type="button" className="button" onClick={() => void request.run()} disabled={request.pending} data-testid="request-report">
          {request.pending ? "Asking…" : "Get my contest report"}
        </button>
        {request.error && <ErrorNotice message={request.error} onRetry={() => void request.run()} />}
      </div>
      {reports.length > 0 && (
        <ul className="reports" aria-label="Your reports">
          {reports.map((report) => (
            <ReportRow key={report.jobId} report={report} />
          ))}
        </ul>
      )}
    </section>
  );
}

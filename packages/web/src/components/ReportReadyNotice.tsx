/**
 * "Your report is ready" in the tab title while the fan is away from My
 * results: it watches the job topic of every report asked for in this tab
 * (the Results view shows them itself), and the notice stays until the fan
 * opens My results.
 */
import { useMemo, useState } from "react";
import { useTopic } from "../hooks.js";
import { useTitleNotice } from "../page-title.js";
import { storedReports } from "../reports.js";
import type { Route } from "../use-hash-route.js";

export const REPORT_READY_NOTICE = "Your report is ready";

export function ReportReadyNotice({ route }: { route: Route }) {
  // Read again on every view change: reports are asked for on My results, and watched once the fan leaves it.
  const reports = useMemo(() => (route === "results" ? [] : storedReports()), [route]);
  return (
    <>
      {reports.map((report) => (
        <WatchReport key={report.jobId} topic={report.topic} />
      ))}
    </>
  );
}

function WatchReport({ topic }: { topic: string }) {
  const result = useTopic(topic);
  // Ready before the fan left My results: they have seen it there.
  const [readyWhenLeft] = useState(() => result.data !== undefined);
  useTitleNotice(result.data !== undefined && !readyWhenLeft ? REPORT_READY_NOTICE : undefined);
  return null;
}

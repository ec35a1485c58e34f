/**
 * My results on the real push client and the testing kit's fake push server:
 * a report's readiness arrives as a publication on its job topic, and a topic
 * the server refuses is refused on the wire.
 */
import type { FakePushServer } from "@pushgate/client/testing";
import { cleanup, fireEvent, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError, type FanApi, type ReportJob } from "../src/api.js";
import { MyResults } from "../src/views/MyResults.js";
import { deferred, fakeApi } from "./fake-api.js";
import { closeKitClients, onServer, publishOn, renderOnKit } from "./push-kit.js";

const JOB: ReportJob = { jobId: "j1", resultUrl: "http://s3.local/results/j1.json?sig", topic: "job/j1" };
const READY = { jobId: "j1", url: "http://s3.local/results/j1.json?X-Amz-Signature=abc", expiresAt: "2999-01-01T00:00:00.000Z" };

afterEach(() => {
  closeKitClients();
  cleanup();
  sessionStorage.clear();
});

/** Click "Get my contest report" and let the request, the subscribe and React settle. */
async function ask(server: FakePushServer) {
  await onServer(server, () => void fireEvent.click(screen.getByRole("button", { name: "Get my contest report" })));
}

/** My results with one report requested; `before` stages the server first (a refused topic). */
async function requested(api: Partial<FanApi> = {}, before: (server: FakePushServer) => void = () => {}) {
  const rendered = await renderOnKit(<MyResults />, { api: fakeApi({ requestReport: async () => JOB, ...api }) });
  before(rendered.server);
  await ask(rendered.server);
  return rendered.server;
}

/** The job's result published, and the view caught up. */
const publishReady = (server: FakePushServer, ready: typeof READY = READY, topic: `job/${string}` = "job/j1") =>
  publishOn(server, topic, ready);

describe("MyResults", () => {
  it("shows a requested report as pending, listening on its job topic", async () => {
    const server = await requested();
    expect(screen.getByTestId("report").dataset.status).toBe("pending");
    expect(screen.getByTestId("report-pending").textContent).toMatch(/Preparing your report/);
    expect(screen.queryByRole("link", { name: "Download report" })).toBeNull();
    expect(server.subscribers("job/j1")).toBe(1);
  });

  it("turns pending into a download link when the result is ready", async () => {
    const server = await requested();
    await publishReady(server);
    const link = screen.getByRole("link", { name: "Download report" });
    expect(link.getAttribute("href")).toBe(READY.url);
    expect(link).toBe(screen.getByTestId("report-download"));
    expect(screen.queryByTestId("report-pending")).toBeNull();
    expect(screen.getByTestId("report").dataset.status).toBe("ready");
    expect(screen.getByTestId("report").textContent).toMatch(/Download report/);
  });

  it("announces the ready report to screen readers", async () => {
    const server = await requested();
    const region = screen.getByTestId("report").querySelector('[aria-live="polite"]');
    expect(region?.textContent).toBe("Preparing your contest report.");
    await publishReady(server);
    expect(region?.textContent).toBe("Your contest report is ready to download.");
  });

  it("does not offer an expired link", async () => {
    const server = await requested();
    await publishReady(server, { ...READY, expiresAt: "2000-01-01T00:00:00.000Z" });
    expect(screen.queryByTestId("report-download")).toBeNull();
    expect(screen.getByTestId("report-expired").textContent).toMatch(/Ask for a new report/);
  });

  it("keeps each report apart, newest first", async () => {
    const jobs = [JOB, { jobId: "j2", resultUrl: "http://s3.local/results/j2.json", topic: "job/j2" as const }];
    const { server } = await renderOnKit(<MyResults />, { api: fakeApi({ requestReport: async () => jobs.shift()! }) });
    await ask(server);
    await ask(server);
    await publishReady(server, { ...READY, jobId: "j2", url: "http://s3.local/results/j2.json?sig" }, "job/j2");
    const rows = screen.getAllByTestId("report");
    expect(rows.map((row) => [row.dataset.jobId, row.dataset.status])).toEqual([
      ["j2", "ready"],
      ["j1", "pending"],
    ]);
  });

  it("remembers reports across a reload of the tab", async () => {
    await requested();
    closeKitClients();
    cleanup();
    // The reloaded tab: a new client on a new server session, over the same sessionStorage.
    const { server } = await renderOnKit(<MyResults />);
    expect(screen.getByTestId("report").dataset.jobId).toBe("j1");
    expect(server.subscribers("job/j1")).toBe(1);
    await publishReady(server);
    expect(screen.getByTestId("report-download").getAttribute("href")).toBe(READY.url);
  });

  it("says it is asking while the request runs", async () => {
    const answer = deferred<ReportJob>();
    const { server } = await renderOnKit(<MyResults />, { api: fakeApi({ requestReport: () => answer.promise }) });
    fireEvent.click(screen.getByRole("button", { name: "Get my contest report" }));
    expect((screen.getByRole("button", { name: "Asking…" }) as HTMLButtonElement).disabled).toBe(true);
    await onServer(server, () => answer.resolve(JOB));
    expect(screen.getByTestId("report")).toBeTruthy();
  });

  it("explains a failed request with what to do next", async () => {
    const { server } = await renderOnKit(<MyResults />, {
      api: fakeApi({ requestReport: async () => Promise.reject(new ApiError("NETWORK", "fetch failed", 0)) }),
    });
    await ask(server);
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toMatch(/can't reach pushgate/);
    expect(alert.textContent).toMatch(/Check your internet connection/);
    expect(screen.queryByTestId("report")).toBeNull();
  });

  it("says so when the server refuses the job topic", async () => {
    const server = await requested({}, (staged) => staged.refuseTopic("job/j1", "FORBIDDEN", "not your job"));
    expect(server.subscribers("job/j1")).toBe(0);
    expect(screen.getByTestId("topic-problem").textContent).toMatch(/this report/);
  });
});

const REPORT = {
  kind: "contest-report" as const,
  generatedAt: "2026-06-21T19:00:00.000Z",
  games: [
    {
      gameId: "g1",
      home: { name: "Hawks", shortName: "HAW", colour: "#1f6feb" },
      away: { name: "Bears", shortName: "BEA", colour: "#d1242f" },
      status: "final" as const,
      score: { home: 10, away: 7 },
      leader: "home" as const,
      scoring: [
        {
          at: "2026-06-21T18:05:00.000Z",
          period: "Q1",
          clock: "07:00",
          team: "away" as const,
          points: 7,
          home: 0,
          away: 7,
          play: "Bears touchdown",
        },
        {
          at: "2026-06-21T18:25:00.000Z",
          period: "Q3",
          clock: "02:10",
          team: "home" as const,
          points: 3,
          home: 3,
          away: 7,
          play: "Field goal",
        },
        { at: "2026-06-21T18:40:00.000Z", period: "Q4", clock: "00:20", team: "home" as const, points: 7, home: 10, away: 7 },
      ],
    },
  ],
};

describe("the report, readable in the app", () => {
  it("shows each game's score and its scoring plays in order once ready, beside the download", async () => {
    const fetched: string[] = [];
    const server = await requested({
      fetchReport: async (url) => {
        fetched.push(url);
        return REPORT;
      },
    });
    await publishReady(server);
    expect(fetched).toEqual([READY.url]);
    const game = screen.getByRole("region", { name: "Hawks vs Bears" });
    expect(game.querySelector("h3")?.textContent).toBe("Hawks 10 – 7 Bears · Final");
    expect([...game.querySelectorAll("li")].map((li) => li.textContent)).toEqual([
      "Q1 07:00Bears +7 · Bears touchdown0–7",
      "Q3 02:10Hawks +3 · Field goal3–7",
      "Q4 00:20Hawks +710–7",
    ]);
    expect(screen.getByTestId("report-download").getAttribute("href")).toBe(READY.url);
  });
});

/**
 * A ready contest report, readable: each game with its teams and final or
 * current score, and its scoring plays in order (quarter, clock, who scored,
 * how many points, the score after). Loaded from the report's presigned URL
 * once, when it becomes ready.
 */
import type { ContestReport, ReportedGame } from "@pushgate/client";
import { useEffect, useState } from "react";
import { usePushServices } from "../push-context.js";

type Loaded = { state: "loading" } | { state: "ready"; report: ContestReport } | { state: "failed"; message: string };

export function ReportView({ url }: { url: string }) {
  const { api } = usePushServices();
  const [loaded, setLoaded] = useState<Loaded>({ state: "loading" });
  useEffect(() => {
    let current = true;
    api.fetchReport(url).then(
      (report) => current && setLoaded({ state: "ready", report }),
      () => current && setLoaded({ state: "failed", message: "The report could not be shown here; the download below still has it." }),
    );
    return () => {
      current = false;
    };
  }, [api, url]);

  if (loaded.state === "loading") return <p className="report__loading">Opening your report…</p>;
  if (loaded.state === "failed") return <p className="notice">{loaded.message}</p>;
  const { games } = loaded.report;
  if (games.length === 0) return <p className="report__empty">No games have been played yet.</p>;
  return (
    <div className="report__games" data-testid="report-view">
      {games.map((game) => (
        <ReportedGameView key={game.gameId} game={game} />
      ))}
    </div>
  );
}

const STATUS_WORDS = { scheduled: "Not started", live: "Live", halftime: "Half-time", final: "Final" } as const;

function ReportedGameView({ game }: { game: ReportedGame }) {
  const side = (team: "home" | "away") => game[team];
  return (
    <section className="report__game" aria-label={`${game.home.name} vs ${game.away.name}`} data-testid={`report-game-${game.gameId}`}>
      <h3 className="report__headline">
        {game.home.name} {game.score.home} – {game.score.away} {game.away.name}
        {game.status && <span className="report__status"> · {STATUS_WORDS[game.status]}</span>}
      </h3>
      {game.scoring.length === 0 ? (
        <p className="report__empty">No scoring yet.</p>
      ) : (
        <ol className="report__plays">
          {game.scoring.map((play) => (
            <li key={play.at} className="report__play">
              <span className="report__when">{[play.period, play.clock].filter(Boolean).join(" ")}</span>
              <span className="report__what">
                <strong>
                  {side(play.team).name} {play.points >= 0 ? `+${play.points}` : play.points}
                </strong>
                {play.play && ` · ${play.play}`}
              </span>
              <span className="report__after">
                {play.home}–{play.away}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

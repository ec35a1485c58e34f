/**
 * One game as a compact row: the two teams on two lines with their scores
 * aligned beside them and the game's status on the right (live with a
 * running clock, half-time, final, or its start time). Tapping the row shows
 * the detail: the last play, how many are watching, when it last changed.
 * A side's number flashes briefly when it changes, and screen readers hear
 * the new score with the play that caused it.
 *
 * The row has the same size before its first score (dashes) as after, and
 * `GameRowPlaceholder` is the same row with nothing in it, so nothing below
 * moves when the data arrives.
 * Score changes are not announced per card: a fan who follows the game hears
 * them (ScoreAnnouncer, page-wide and throttled).
 */
import { formatWatching, type GameStatus, type ScoreData, type TeamInfo } from "@pushgate/client";
import { useId, useState } from "react";
import { statusLine } from "../game-status.js";
import { useTopic } from "../hooks.js";
import { useChangeFlash } from "../use-change-flash.js";
import { useNow } from "../use-now.js";
import { FollowButton } from "./FollowButton.js";
import { TopicProblem } from "./TopicProblem.js";
import { UpdatedAgo } from "./UpdatedAgo.js";

/** A team as the page knows it: from the operator's description, or only a name from the build's config. */
export type TeamLabel = Pick<TeamInfo, "name"> & Partial<Pick<TeamInfo, "shortName" | "colour">>;

export interface GameInfo {
  id: string;
  home: TeamLabel;
  away: TeamLabel;
  startsAt?: string;
  status?: GameStatus;
}

export function GameCard({ game }: { game: GameInfo }) {
  const topic = useTopic(`game/${game.id}`);
  const score = topic.data;
  // The score's description is newer than the list's when both are there.
  const home = score?.teams?.home ?? game.home;
  const away = score?.teams?.away ?? game.away;
  const status = score?.status ?? game.status;
  const now = useNow(status === "live" && score?.gameClock?.running === true);
  const line = statusLine(status, score, score?.startsAt ?? game.startsAt, now);
  const [open, setOpen] = useState(false);
  const detailId = useId();
  const titleId = `game-${game.id}-title`;

  return (
    <article className={`game game--${line.tone}`} aria-labelledby={titleId} data-testid={`game-${game.id}`} data-status={status}>
      <h2 id={titleId} className="visually-hidden">
        {home.name} vs {away.name}
      </h2>
      <button
        type="button"
        className="game__row"
        aria-expanded={open}
        aria-controls={detailId}
        onClick={() => setOpen((shown) => !shown)}
        data-testid={`row-${game.id}`}
      >
        <Team team={home} row={1} />
        <Team team={away} row={2} />
        <Score gameId={game.id} home={home.name} away={away.name} score={score} />
        <span className="game__status" data-testid={`status-${game.id}`}>
          {line.label && (
            <span className="game__state">
              {line.tone === "live" && <span className="game__live-dot" aria-hidden="true" />}
              {line.label}
            </span>
          )}
          {line.clock && (
            <span className="game__clock" data-testid={`clock-${game.id}`}>
              {line.clock}
            </span>
          )}
        </span>
      </button>
      <div id={detailId} className="game__detail" hidden={!open}>
        {score?.lastPlay && (
          <p className="game__last-play" data-testid={`last-play-${game.id}`}>
            <span className="visually-hidden">Last play: </span>
            {score.lastPlay}
          </p>
        )}
        {/* Always there, blank until counted, so the count arriving moves nothing. */}
        <p className="game__watching" data-testid={`watching-${game.id}`} aria-hidden={score?.watching === undefined}>
          {score?.watching === undefined ? "\u00a0" : formatWatching(score.watching)}
        </p>
        {topic.ts && <UpdatedAgo ts={topic.ts} className="game__updated" testId={`updated-${game.id}`} />}
        {!score && <p className="game__waiting">Waiting for the first score…</p>}
        <FollowButton gameId={game.id} label={`${home.name} vs ${away.name}`} />
      </div>
      <TopicProblem topic={topic} what="this game" />
    </article>
  );
}

/** A row the size of a real one, shown while the list of games is on its way. */
export function GameRowPlaceholder() {
  return (
    <div className="game game--placeholder" aria-hidden="true" data-testid="game-placeholder">
      <span className="game__row">
        <Team team={{ name: "\u00a0" }} row={1} />
        <Team team={{ name: "\u00a0" }} row={2} />
        <span className="game__score">
          <span className="game__number">{"\u00a0"}</span>
          <span className="game__number">{"\u00a0"}</span>
        </span>
        <span className="game__status" />
      </span>
    </div>
  );
}

function Team({ team, row }: { team: TeamLabel; row: 1 | 2 }) {
  return (
    <span className={`game__team game__team--${row === 1 ? "home" : "away"}`}>
      <span className="game__swatch" style={team.colour ? { background: team.colour } : undefined} aria-hidden="true" />
      <span className="game__name">{team.name}</span>
      {team.shortName && (
        <span className="game__short" aria-hidden="true">
          {team.shortName}
        </span>
      )}
    </span>
  );
}

function Score({ gameId, home, away, score }: { gameId: string; home: string; away: string; score: ScoreData | undefined }) {
  const homeFlash = useChangeFlash(score?.home);
  const awayFlash = useChangeFlash(score?.away);
  if (!score) {
    return (
      <span className="game__score game__score--none" data-testid={`score-${gameId}-none`}>
        <span className="game__number">–</span>
        <span className="game__number">–</span>
      </span>
    );
  }
  return (
    <span className="game__score" data-testid={`score-${gameId}`} role="img" aria-label={`${home} ${score.home}, ${away} ${score.away}`}>
      <ScoreNumber side="home" gameId={gameId} value={score.home} flash={homeFlash} />
      <span className="game__dash" aria-hidden="true">
        –
      </span>
      <ScoreNumber side="away" gameId={gameId} value={score.away} flash={awayFlash} />
    </span>
  );
}

function ScoreNumber({
  side,
  gameId,
  value,
  flash,
}: {
  side: "home" | "away";
  gameId: string;
  value: number;
  flash: { flashing: boolean; generation: number };
}) {
  return (
    <span
      key={flash.generation}
      className={`game__number${flash.flashing ? " game__number--changed" : ""}`}
      data-testid={`score-${gameId}-${side}`}
      data-changed={flash.flashing ? "true" : "false"}
    >
      {value}
    </span>
  );
}

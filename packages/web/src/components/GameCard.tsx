/**
 * One game's live score. A side's number flashes briefly when it changes (so a
 * glance catches the touchdown). A fan who follows the game hears its score
 * changes (ScoreAnnouncer, page-wide and throttled).
 */
import type { ScoreData } from "@pushgate/client";
import { useTopic } from "../hooks.js";
import { useChangeFlash } from "../use-change-flash.js";
import { FollowButton } from "./FollowButton.js";
import { TopicProblem } from "./TopicProblem.js";
import { UpdatedAgo } from "./UpdatedAgo.js";

export interface GameInfo {
  id: string;
  home: string;
  away: string;
}

export function GameCard({ game }: { game: GameInfo }) {
  const topic = useTopic(`game/${game.id}`);
  const score = topic.data;
  const titleId = `game-${game.id}-title`;
  return (
    <article className="card game" aria-labelledby={titleId} data-testid={`game-${game.id}`}>
      <h2 id={titleId} className="game__title">
        {game.home} vs {game.away}
      </h2>
      {score ? <Score game={game} score={score} /> : <p className="game__waiting">Waiting for the first score…</p>}
      {score?.lastPlay && (
        <p className="game__last-play" data-testid={`last-play-${game.id}`}>
          <span className="visually-hidden">Last play: </span>
          {score.lastPlay}
        </p>
      )}
      {topic.ts && <UpdatedAgo ts={topic.ts} className="game__updated" testId={`updated-${game.id}`} />}
      <TopicProblem topic={topic} what="this game" />
      {/* Score changes are announced by the page's ScoreAnnouncer, for followed games only. */}
      <FollowButton game={game} />
    </article>
  );
}

function Score({ game, score }: { game: GameInfo; score: ScoreData }) {
  const home = useChangeFlash(score.home);
  const away = useChangeFlash(score.away);
  return (
    <div className="game__board">
      <div
        className="game__score"
        data-testid={`score-${game.id}`}
        role="img"
        aria-label={`${game.home} ${score.home}, ${game.away} ${score.away}`}
      >
        <ScoreNumber side="home" gameId={game.id} value={score.home} flash={home} />
        <span className="game__dash" aria-hidden="true">
          –
        </span>
        <ScoreNumber side="away" gameId={game.id} value={score.away} flash={away} />
      </div>
      <p className="game__teams" aria-hidden="true">
        <span>{game.home}</span>
        <span>{game.away}</span>
      </p>
      {(score.period || score.clock) && (
        <p className="game__clock" data-testid={`clock-${game.id}`}>
          {[score.period, score.clock].filter(Boolean).join(" · ")}
        </p>
      )}
    </div>
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

/** Follow a game: its score changes are then announced to screen readers, wherever the fan is in the app. */
import { setFollowed, useFollowedGames } from "../followed-games.js";
import type { GameInfo } from "./GameCard.js";

export function FollowButton({ game }: { game: GameInfo }) {
  const following = useFollowedGames().has(game.id);
  return (
    <button
      type="button"
      className="follow"
      aria-pressed={following}
      onClick={() => setFollowed(game.id, !following)}
      data-testid={`follow-${game.id}`}
    >
      <span aria-hidden="true">{following ? "★" : "☆"}</span> Follow
      <span className="visually-hidden"> {`${game.home} vs ${game.away}`}</span>
    </button>
  );
}

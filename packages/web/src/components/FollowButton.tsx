/** Follow a game: its score changes are then announced to screen readers, wherever the fan is in the app. */
import { setFollowed, useFollowedGames } from "../followed-games.js";

export function FollowButton({ gameId, label }: { gameId: string; label: string }) {
  const following = useFollowedGames().has(gameId);
  return (
    <button
      type="button"
      className="follow"
      aria-pressed={following}
      onClick={() => setFollowed(gameId, !following)}
      data-testid={`follow-${gameId}`}
    >
      <span aria-hidden="true">{following ? "★" : "☆"}</span> Follow
      <span className="visually-hidden"> {label}</span>
    </button>
  );
}

/**
 * Today's games: the operator's list (`games/all`, pushed when a game is
 * listed, changes status or is unlisted, so no rebuild is needed) and any
 * games the build pins (VITE_GAMES), each on its own topic. Until the list
 * arrives, placeholder rows the size of real ones hold the space.
 */
import { GAME_LIST_TOPIC } from "@pushgate/client";
import { useEffect, useState } from "react";
import { GameCard, GameRowPlaceholder, type GameInfo } from "../components/GameCard.js";
import { TopicProblem } from "../components/TopicProblem.js";
import { useTopic } from "../hooks.js";

/** How long placeholders wait for a list before saying there is none (a stage where no game was ever listed has no snapshot). */
export const LIST_WAIT_MS = 5000;
/** Placeholder rows (two games is the usual match day), each with a stable key. */
const PLACEHOLDER_KEYS = ["first", "second"];

export function Scoreboard({ pinned = [] }: { pinned?: readonly GameInfo[] }) {
  const list = useTopic(GAME_LIST_TOPIC);
  const waited = useWaited(list.data === undefined);
  const listed: GameInfo[] = (list.data?.games ?? []).map((game) => ({
    id: game.gameId,
    home: game.home,
    away: game.away,
    startsAt: game.startsAt,
    status: game.status,
  }));
  const games = [...listed, ...pinned.filter((game) => !listed.some((shown) => shown.id === game.id))];
  const loading = list.data === undefined && !waited && list.status !== "error";

  return (
    <section className="view" aria-labelledby="scoreboard-title">
      <h1 id="scoreboard-title">Live scores</h1>
      <div className="games" aria-busy={loading}>
        {games.map((game) => (
          <GameCard key={game.id} game={game} />
        ))}
        {loading && games.length === 0 && PLACEHOLDER_KEYS.map((key) => <GameRowPlaceholder key={key} />)}
      </div>
      {!loading && games.length === 0 && (
        <p className="card" data-testid="no-games">
          No games are listed right now. They appear here as soon as they are scheduled.
        </p>
      )}
      <TopicProblem topic={list} what="the list of games" />
    </section>
  );
}

/** True once `waiting` has lasted LIST_WAIT_MS. */
function useWaited(waiting: boolean): boolean {
  const [waited, setWaited] = useState(false);
  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(() => setWaited(true), LIST_WAIT_MS);
    return () => clearTimeout(timer);
  }, [waiting]);
  return waited;
}

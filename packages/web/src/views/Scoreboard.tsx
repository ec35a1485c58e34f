import { GameCard, type GameInfo } from "../components/GameCard.js";

/** Every game the page follows, each on its own topic, side by side on wide screens. */
export function Scoreboard({ games }: { games: readonly GameInfo[] }) {
  return (
    <section className="view" aria-labelledby="scoreboard-title">
      <h1 id="scoreboard-title">Live scores</h1>
      {games.length === 0 ? (
        <p className="card">No games are on right now.</p>
      ) : (
        <div className="games">
          {games.map((game) => (
            <GameCard key={game.id} game={game} />
          ))}
        </div>
      )}
    </section>
  );
}

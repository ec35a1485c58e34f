/**
 * What the page follows. The games come from the operator's list (`games/all`);
 * a deployment may also pin games by id with VITE_GAMES ("g1:Hawks:Bears,g2"),
 * shown even before (or without) being listed. The queue is VITE_QUEUE_EVENT
 * (the demo's e1 by default).
 */
import type { GameInfo } from "./components/GameCard.js";

export interface PageConfig {
  pinnedGames: GameInfo[];
  queueEventId: string;
}

export function pageConfig(env: { VITE_GAMES?: string; VITE_QUEUE_EVENT?: string }): PageConfig {
  const pinnedGames = (env.VITE_GAMES ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      const [id = "", home = "Home", away = "Away"] = entry.split(":");
      return { id, home: { name: home }, away: { name: away } };
    });
  return { pinnedGames, queueEventId: env.VITE_QUEUE_EVENT ?? "e1" };
}

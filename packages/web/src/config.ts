/**
 * What the page follows. The demo simulator produces games g1 and g2 and the
 * queue for event e1; a deployment names its own with VITE_GAMES
 * ("g1:Hawks:Bears,g2") and VITE_QUEUE_EVENT.
 */
import type { GameInfo } from "./components/GameCard.js";

export interface PageConfig {
  games: GameInfo[];
  queueEventId: string;
}

export function pageConfig(env: { VITE_GAMES?: string; VITE_QUEUE_EVENT?: string }): PageConfig {
  const games = (env.VITE_GAMES ?? "g1:Home:Away,g2:Home:Away")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      const [id = "", home = "Home", away = "Away"] = entry.split(":");
      return { id, home, away };
    });
  return { games, queueEventId: env.VITE_QUEUE_EVENT ?? "e1" };
}

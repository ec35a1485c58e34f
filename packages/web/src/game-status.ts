/**
 * What a game's row says on its right: live with the running clock, half-time,
 * final, or the start time of a scheduled game. Pure, so the words are tested
 * without rendering.
 */
import { formatClock, secondsLeftAt, type GameStatus, type ScoreData } from "@pushgate/client";

export interface StatusLine {
  /** Drives the colour and the live dot. */
  tone: "live" | "break" | "final" | "scheduled" | "none";
  /** "Live", "Half-time", "Final", "Sat 18:00"; empty for a game with no status yet. */
  label: string;
  /** "Q2 · 08:41" while live, when the producer sent a period or clock. */
  clock?: string;
}

/**
 * `status` comes from the score (newest) or the listed summary; a game never
 * described shows only its period and clock, as before games had a status.
 */
export function statusLine(
  status: GameStatus | undefined,
  score: ScoreData | undefined,
  startsAt: string | undefined,
  nowMs: number,
  locale?: string,
): StatusLine {
  const clock = clockText(score, nowMs);
  switch (status) {
    case "live":
      return { tone: "live", label: "Live", ...(clock && { clock }) };
    case "halftime":
      return { tone: "break", label: "Half-time" };
    case "final":
      return { tone: "final", label: "Final" };
    case "scheduled":
      return { tone: "scheduled", label: startsAt ? startTime(startsAt, nowMs, locale) : "Scheduled" };
    default:
      return { tone: "none", label: "", ...(clock && { clock }) };
  }
}

function clockText(score: ScoreData | undefined, nowMs: number): string | undefined {
  if (!score) return undefined;
  if (score.gameClock) return `${score.gameClock.period} · ${formatClock(secondsLeftAt(score.gameClock, nowMs))}`;
  const parts = [score.period, score.clock].filter(Boolean);
  return parts.length > 0 ? parts.join(" · ") : undefined;
}

/** "18:00" today, "Sat 18:00" within a week, "21 Jun" further out. */
export function startTime(startsAt: string, nowMs: number, locale?: string): string {
  const start = new Date(startsAt);
  const time = start.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
  const days = (start.getTime() - nowMs) / 86_400_000;
  if (new Date(nowMs).toDateString() === start.toDateString()) return time;
  if (days > -1 && days < 6) return `${start.toLocaleDateString(locale, { weekday: "short" })} ${time}`;
  return start.toLocaleDateString(locale, { day: "numeric", month: "short" });
}

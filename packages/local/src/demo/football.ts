/**
 * The demo's football: where a game is at a given time (scheduled, one of four
 * quarters, half-time, final) computed from its kick-off alone, so the clock
 * never runs backwards and a fourth quarter can only end in a final whistle;
 * and what a scoring play is worth (touchdown and extra point, field goal,
 * the occasional missed kick, two-point try or safety), with its words.
 */
import type { GameStatus } from "@pushgate/core/wire";

export interface FootballTiming {
  /** Seconds in a quarter; the demo's are short (real ones are 900) so a game fits in a quarter of an hour. */
  quarterSeconds: number;
  halftimeSeconds: number;
}

export interface GamePhase {
  status: GameStatus;
  /** "Q1".."Q4" while live; the period that just ended at half-time ("Q2") and final ("Q4"). */
  period: string;
  /** Whole seconds left in the period (0 at half-time and final, the full quarter before kick-off). */
  secondsLeft: number;
  /** Milliseconds from kick-off to the final whistle. */
  lengthMs: number;
}

/** Where a game that kicks off at `kickoffMs` is at `nowMs`. */
export function phaseAt(kickoffMs: number, nowMs: number, timing: FootballTiming): GamePhase {
  const q = timing.quarterSeconds;
  const h = timing.halftimeSeconds;
  const lengthMs = (4 * q + h) * 1000;
  const t = (nowMs - kickoffMs) / 1000;
  if (t < 0) return { status: "scheduled", period: "Q1", secondsLeft: q, lengthMs };
  const quarter = (number: number, start: number) => ({
    status: "live" as const,
    period: `Q${number}`,
    secondsLeft: Math.max(0, Math.ceil(start + q - t)),
    lengthMs,
  });
  if (t < q) return quarter(1, 0);
  if (t < 2 * q) return quarter(2, q);
  if (t < 2 * q + h) return { status: "halftime", period: "Q2", secondsLeft: 0, lengthMs };
  if (t < 3 * q + h) return quarter(3, 2 * q + h);
  if (t < 4 * q + h) return quarter(4, 3 * q + h);
  return { status: "final", period: "Q4", secondsLeft: 0, lengthMs };
}

/** Points of a scoring play, by how often they happen in a real game. */
const SCORING_PLAYS: { points: number; weight: number; play: (team: string) => string }[] = [
  { points: 7, weight: 52, play: (team) => `Touchdown ${team}! Extra point is good` },
  { points: 3, weight: 32, play: (team) => `${team} field goal from ${30 + (team.length % 5) * 4} yards` },
  { points: 6, weight: 7, play: (team) => `Touchdown ${team}, but the extra point is wide` },
  { points: 8, weight: 6, play: (team) => `Touchdown ${team} and the two-point try is good` },
  { points: 2, weight: 3, play: (team) => `Safety! ${team} tackle in the end zone` },
];
const TOTAL_WEIGHT = SCORING_PLAYS.reduce((sum, play) => sum + play.weight, 0);

/** A scoring play for `team` chosen by `random()` in [0, 1). */
export function scoringPlay(team: string, random: () => number): { points: number; play: string } {
  let pick = random() * TOTAL_WEIGHT;
  for (const candidate of SCORING_PLAYS) {
    pick -= candidate.weight;
    if (pick < 0) return { points: candidate.points, play: candidate.play(team) };
  }
  const last = SCORING_PLAYS[0]!;
  return { points: last.points, play: last.play(team) };
}

/** What happens on the plays that do not score. */
export const ROUTINE_PLAYS = [
  "First down on a 9-yard run",
  "Incomplete pass on third down",
  "Punt downed at the 12",
  "Sack for a loss of 7",
  "Interception returned to midfield",
  "Fumble recovered by the defence",
  "Screen pass for 14 yards",
  "Timeout called",
];

export const DEMO_TEAMS = [
  { name: "Harbour Hawks", shortName: "HAW", colour: "#1f6feb" },
  { name: "Northfield Bears", shortName: "BEA", colour: "#b91c1c" },
  { name: "Riverside Lions", shortName: "LIO", colour: "#b45309" },
  { name: "Granite Wolves", shortName: "WOL", colour: "#475569" },
  { name: "Coastal Sharks", shortName: "SHK", colour: "#0e7490" },
  { name: "Valley Stallions", shortName: "STA", colour: "#7c3aed" },
  { name: "Summit Eagles", shortName: "EAG", colour: "#15803d" },
  { name: "Metro Titans", shortName: "TIT", colour: "#be185d" },
] as const;

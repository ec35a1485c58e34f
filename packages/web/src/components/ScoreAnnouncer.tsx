/**
 * What screen readers hear about scores: a change of the score of a game the
 * fan follows, at most one announcement every 15 s (changes in between are
 * gathered, the newest per game), wherever the fan is in the app. Clock ticks,
 * unchanged scores and games the fan does not follow say nothing.
 */
import type { ScoreData } from "@pushgate/client";
import { useCallback, useEffect, useRef, useState } from "react";
import { useFollowedGames } from "../followed-games.js";
import { useTopic } from "../hooks.js";
import { LiveAnnouncer } from "./LiveAnnouncer.js";

export const SCORE_ANNOUNCEMENT_GAP_MS = 15_000;

/** Names come with the score (the operator's description of the game), so a followed game needs no list to be announced. */
export function scoreSentence(score: ScoreData): string {
  const home = score.teams?.home.name ?? "Home";
  const away = score.teams?.away.name ?? "Away";
  const line = `${home} ${score.home}, ${away} ${score.away}.`;
  return score.lastPlay ? `${line} ${score.lastPlay}` : line;
}

export function ScoreAnnouncer() {
  const followed = useFollowedGames();
  const [message, setMessage] = useState("");
  const waiting = useRef(new Map<string, string>());
  const lastSaidAt = useRef(Number.NEGATIVE_INFINITY);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const say = useCallback(() => {
    timer.current = undefined;
    if (waiting.current.size === 0) return;
    setMessage([...waiting.current.values()].join(" "));
    waiting.current.clear();
    lastSaidAt.current = Date.now();
  }, []);

  const changed = useCallback(
    (gameId: string, sentence: string) => {
      waiting.current.set(gameId, sentence);
      if (timer.current !== undefined) return;
      timer.current = setTimeout(say, Math.max(0, lastSaidAt.current + SCORE_ANNOUNCEMENT_GAP_MS - Date.now()));
    },
    [say],
  );
  useEffect(() => () => clearTimeout(timer.current), []);

  return (
    <>
      {[...followed].map((gameId) => (
        <WatchScore key={gameId} gameId={gameId} onChange={changed} />
      ))}
      <LiveAnnouncer message={message} testId="score-announcer" />
    </>
  );
}

function WatchScore({ gameId, onChange }: { gameId: string; onChange: (gameId: string, sentence: string) => void }) {
  const score = useTopic(`game/${gameId}`).data;
  // The score the fan already knows (the first one seen is not news).
  const known = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!score) return;
    const now = `${score.home}-${score.away}`;
    if (known.current !== undefined && known.current !== now) onChange(gameId, scoreSentence(score));
    known.current = now;
  }, [score, gameId, onChange]);
  return null;
}

/**
 * How old the page's data is, in words a fan reads at a glance ("12 s ago"),
 * and whether it is old enough to be dimmed. The age of a value is from its
 * source write (`ts`); whether the page can vouch for it is the client's
 * `freshness` (the last moment it knew every topic was current).
 */
import { useCallback, useEffect, useReducer, useSyncExternalStore } from "react";
import type { Freshness } from "@pushgate/client";
import { usePushServices } from "./push-context.js";
import { useSettledConnection } from "./use-settled-connection.js";

/** Data the client has not confirmed for this long, with no live socket, is dimmed and said to be old. */
export const STALE_AFTER_MS = 30_000;

/** "just now", "12 s ago", "3 min ago", "2 h ago", "3 days ago": the age of something that happened `ageMs` ago. */
export function ageText(ageMs: number): string {
  const seconds = Math.max(0, Math.floor(ageMs / 1000));
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.floor(hours / 24)} days ago`;
}

/**
 * `Date.now()`, re-rendering when an age computed from `since` would read
 * differently: every second under a minute, every minute after.
 */
export function useNowForAge(since: number | undefined): number {
  const [, rerender] = useReducer((count: number) => count + 1, 0);
  const now = Date.now();
  useEffect(() => {
    if (since === undefined) return;
    const age = Math.max(0, now - since);
    const step = age < 60_000 ? 1_000 : 60_000;
    const timer = setTimeout(rerender, step - (age % step));
    return () => clearTimeout(timer);
  });
  return now;
}

export function useFreshness(): Freshness {
  const { client } = usePushServices();
  const store = client.freshness;
  const subscribe = useCallback((listener: () => void) => store.subscribe(listener), [store]);
  const getSnapshot = useCallback(() => store.getSnapshot(), [store]);
  return useSyncExternalStore(subscribe, getSnapshot);
}

/**
 * Whether the page's data may be out of date: no live socket, and nothing has
 * confirmed it for `STALE_AFTER_MS` (polling is failing too, or has not
 * started). A live socket is trusted: a silent one is found out within 40 s.
 */
export function useDataIsStale(): { stale: boolean; confirmedAt: number | undefined; now: number } {
  const { state } = useSettledConnection();
  const { confirmedAt } = useFreshness();
  const now = useNowForAge(state === "live" ? undefined : confirmedAt);
  const stale = state !== "live" && (confirmedAt === undefined || now - confirmedAt > STALE_AFTER_MS);
  return { stale, confirmedAt, now };
}

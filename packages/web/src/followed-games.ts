/**
 * The games a fan follows: the ones whose score changes a screen reader
 * announces (every game's would be 19 announcements a minute). Kept in
 * localStorage, so every tab and the next visit agree; in memory when storage
 * is blocked.
 */
import { useSyncExternalStore } from "react";

const STORAGE_KEY = "pushgate.followedGames";

function load(): ReadonlySet<string> {
  try {
    const parsed: unknown = JSON.parse(globalThis.localStorage?.getItem(STORAGE_KEY) ?? "[]");
    return new Set(Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === "string") : []);
  } catch {
    return new Set();
  }
}

let followed: ReadonlySet<string> | undefined;
const listeners = new Set<() => void>();

function current(): ReadonlySet<string> {
  followed ??= load();
  return followed;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useFollowedGames(): ReadonlySet<string> {
  return useSyncExternalStore(subscribe, current);
}

export function setFollowed(gameId: string, follow: boolean): void {
  const next = new Set(current());
  if (follow) next.add(gameId);
  else next.delete(gameId);
  followed = next;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify([...next]));
  } catch {
    // Blocked or full: following still works for this page.
  }
  for (const listener of [...listeners]) listener();
}

/** Tests start from nobody following anything. */
export function forgetFollowedGames(): void {
  followed = new Set();
  try {
    globalThis.localStorage?.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored then.
  }
  for (const listener of [...listeners]) listener();
}

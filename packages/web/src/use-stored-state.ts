import { useCallback, useState } from "react";

/**
 * State that survives a reload of the tab (sessionStorage), so a fan who
 * refreshes keeps their queue ticket and their pending reports. Storage can be
 * unavailable (private modes, quotas); then the state simply lives in memory,
 * which is still correct for this visit.
 */
export function useStoredState<T>(key: string, parse: (raw: unknown) => T | undefined, initial: T): [T, (next: T) => void] {
  const [value, setValue] = useState<T>(() => {
    try {
      const raw = globalThis.sessionStorage?.getItem(key);
      if (raw === null || raw === undefined) return initial;
      return parse(JSON.parse(raw)) ?? initial;
    } catch {
      // Unreadable or malformed: start fresh rather than crash the view.
      return initial;
    }
  });
  const store = useCallback(
    (next: T) => {
      setValue(next);
      try {
        globalThis.sessionStorage?.setItem(key, JSON.stringify(next));
      } catch {
        // Storage full or blocked: keep the in-memory value; a reload would lose it, nothing else breaks.
      }
    },
    [key],
  );
  return [value, store];
}

import { useEffect, useReducer } from "react";

/**
 * Whole seconds left until `deadline` (epoch ms), rounded up, re-rendering
 * exactly when the shown number changes rather than on a fixed fast tick.
 * Undefined when there is no deadline.
 */
export function useSecondsUntil(deadline: number | undefined): number | undefined {
  const [, rerender] = useReducer((count: number) => count + 1, 0);
  const remainingMs = deadline === undefined ? undefined : deadline - Date.now();

  useEffect(() => {
    if (remainingMs === undefined || remainingMs <= 0) return;
    // Wake up when ceil(remaining / 1000) drops by one.
    const delay = remainingMs % 1000 || 1000;
    const timer = setTimeout(rerender, delay);
    return () => clearTimeout(timer);
  });

  return remainingMs === undefined ? undefined : Math.max(0, Math.ceil(remainingMs / 1000));
}

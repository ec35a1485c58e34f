import { useEffect, useReducer } from "react";

/**
 * The time now (epoch ms), re-rendering on each whole second while `ticking`,
 * so a running game clock moves between updates; a page with no running clock
 * sets no timer at all.
 */
export function useNow(ticking: boolean): number {
  const [, rerender] = useReducer((count: number) => count + 1, 0);
  const now = Date.now();
  useEffect(() => {
    if (!ticking) return;
    // Wake at the next whole second, so every clock on the page turns together.
    const timer = setTimeout(rerender, 1000 - (Date.now() % 1000));
    return () => clearTimeout(timer);
  });
  return now;
}

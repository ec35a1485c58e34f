import { useSyncExternalStore } from "react";

/**
 * The current view from the URL hash (#/scores, #/queue, #/results), so each
 * view has a link that can be shared, bookmarked, or opened by the end-to-end
 * tests, with no router library and no server rewrite rules.
 */
export const ROUTES = ["scores", "queue", "results"] as const;
export type Route = (typeof ROUTES)[number];

function readRoute(): Route {
  const name = globalThis.location?.hash.replace(/^#\/?/, "") ?? "";
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : "scores";
}

function subscribe(listener: () => void): () => void {
  globalThis.addEventListener("hashchange", listener);
  return () => globalThis.removeEventListener("hashchange", listener);
}

export function useHashRoute(): Route {
  return useSyncExternalStore(subscribe, readRoute, () => "scores");
}

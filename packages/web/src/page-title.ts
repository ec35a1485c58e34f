/**
 * The tab's title: the view the fan is on ("Waiting room · pushgate"), led by
 * what needs them now ("It's your turn", "Your report is ready") so a fan on
 * another tab of the browser sees it in the tab strip. Views raise a notice
 * while it holds; the App shell writes the title.
 */
import { useEffect, useSyncExternalStore } from "react";
import type { Route } from "./use-hash-route.js";

const APP_NAME = "pushgate";

/** Each view's title, as its heading says it. */
export const VIEW_TITLES: Record<Route, string> = {
  scores: "Live scores",
  queue: "Waiting room",
  results: "My results",
};

// The notices raised now, oldest first (the newest leads the title); a count per text, as two views may raise the same.
const raised = new Map<string, number>();
let notices: readonly string[] = [];
const listeners = new Set<() => void>();

function changed(): void {
  notices = [...raised.keys()];
  for (const listener of [...listeners]) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** While mounted with a text, the tab title leads with it. */
export function useTitleNotice(text: string | undefined): void {
  useEffect(() => {
    if (text === undefined) return;
    raised.set(text, (raised.get(text) ?? 0) + 1);
    changed();
    return () => {
      const count = (raised.get(text) ?? 1) - 1;
      if (count > 0) raised.set(text, count);
      else raised.delete(text);
      changed();
    };
  }, [text]);
}

export function pageTitle(route: Route, notice: string | undefined): string {
  return [notice, VIEW_TITLES[route], APP_NAME].filter(Boolean).join(" · ");
}

/** The App shell's: keep `document.title` on the view and the newest notice. */
export function useDocumentTitle(route: Route): void {
  const current = useSyncExternalStore(subscribe, () => notices);
  const title = pageTitle(route, current.at(-1));
  useEffect(() => {
    document.title = title;
  }, [title]);
}

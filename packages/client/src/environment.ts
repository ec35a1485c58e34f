/**
 * Everything the client takes from its surroundings, as small interfaces, so a
 * test can hand in a manual clock and a seeded random, and Node can hand in
 * `ws`'s WebSocket where a browser has its own.
 */

import type { Timers } from "@pushgate/core/wire";

// One Clock and one Timers shape serve every package (core's wire module).
export type { Clock, TimerHandle, Timers } from "@pushgate/core/wire";
export { systemClock } from "@pushgate/core/wire";

/** A number in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * The part of a WebSocket the client uses. Both the browser's WebSocket and
 * `ws`'s WebSocket fit; the handler parameters are `any` because the two
 * declare different event classes and a stricter type would reject one of them.
 */
/* biome-ignore-start lint/suspicious/noExplicitAny: see above: one parameter type must accept both event classes. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
}
/* biome-ignore-end lint/suspicious/noExplicitAny: see above. */

export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

/**
 * Whether the device has a network, and a way to hear when that changes.
 * In a browser this is `navigator.onLine` and the window's online/offline
 * events (see `browserOnlineSource`).
 */
export interface OnlineSource {
  isOnline(): boolean;
  subscribe(listener: (online: boolean) => void): () => void;
}

/** The platform's timers, bound, because a browser throws "Illegal invocation" for an unbound setTimeout. */
export const platformTimers: Timers = {
  setTimeout: (callback, delayMs) => globalThis.setTimeout(callback, delayMs),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout> | undefined),
};

/** The window's online/offline events, or undefined outside a browser (Node has no such events). */
export function browserOnlineSource(): OnlineSource | undefined {
  const target = globalThis as unknown as {
    addEventListener?: (type: string, listener: () => void) => void;
    removeEventListener?: (type: string, listener: () => void) => void;
    navigator?: { onLine?: boolean };
  };
  if (typeof target.addEventListener !== "function" || typeof target.removeEventListener !== "function") return undefined;
  const add = target.addEventListener.bind(target);
  const remove = target.removeEventListener.bind(target);
  return {
    isOnline: () => target.navigator?.onLine !== false,
    subscribe(listener) {
      const onOnline = () => listener(true);
      const onOffline = () => listener(false);
      add("online", onOnline);
      add("offline", onOffline);
      return () => {
        remove("online", onOnline);
        remove("offline", onOffline);
      };
    },
  };
}

/**
 * Whether the page is on screen, and the moments it comes back: `visible` and
 * `hidden` follow `visibilitychange`; `resume` is a page restored from the
 * back/forward cache (`pageshow` with `persisted`) or thawed after the browser
 * froze it (`resume`), when timers have not run and a socket may be long dead.
 */
export type VisibilityEvent = "visible" | "hidden" | "resume";

export interface VisibilitySource {
  isVisible(): boolean;
  subscribe(listener: (event: VisibilityEvent) => void): () => void;
}

/** The document's visibility and the window's resume events, or undefined outside a browser. */
export function browserVisibilitySource(): VisibilitySource | undefined {
  const target = globalThis as unknown as {
    addEventListener?: (type: string, listener: (event: { persisted?: boolean }) => void) => void;
    removeEventListener?: (type: string, listener: (event: { persisted?: boolean }) => void) => void;
    document?: {
      visibilityState?: string;
      addEventListener: (type: string, listener: () => void) => void;
      removeEventListener: (type: string, listener: () => void) => void;
    };
  };
  const doc = target.document;
  if (!doc || typeof target.addEventListener !== "function" || typeof target.removeEventListener !== "function") return undefined;
  const addToWindow = target.addEventListener.bind(target);
  const removeFromWindow = target.removeEventListener.bind(target);
  const isVisible = () => doc.visibilityState !== "hidden";
  return {
    isVisible,
    subscribe(listener) {
      const onVisibility = () => listener(isVisible() ? "visible" : "hidden");
      const onPageShow = (event: { persisted?: boolean }) => {
        if (event.persisted) listener("resume");
      };
      const onResume = () => listener("resume");
      doc.addEventListener("visibilitychange", onVisibility);
      doc.addEventListener("resume", onResume);
      addToWindow("pageshow", onPageShow);
      return () => {
        doc.removeEventListener("visibilitychange", onVisibility);
        doc.removeEventListener("resume", onResume);
        removeFromWindow("pageshow", onPageShow);
      };
    },
  };
}

/**
 * The connection state as the fan sees it: a new state is shown only once it
 * has lasted a second, so a socket that dies and comes back within 300 ms does
 * not flicker the badge through three states. Details of the shown state (a
 * new retry time) pass through at once. Timers and `Date.now` are the page's,
 * so a test drives them with fake timers.
 */
import type { ConnectionSnapshot } from "@pushgate/client";
import { useEffect, useRef, useState } from "react";
import { useConnectionState } from "./hooks.js";

/** Shorter than this, a state is not worth showing (or announcing). */
export const SETTLE_MS = 1_000;

export function useSettledConnection(settleMs: number = SETTLE_MS): ConnectionSnapshot {
  const connection = useConnectionState();
  const [shown, setShown] = useState(connection);
  // When the state now pending first appeared: details changing under it must not restart its second.
  const pending = useRef<{ state: ConnectionSnapshot["state"]; since: number } | undefined>(undefined);

  useEffect(() => {
    if (connection.state === shown.state) {
      pending.current = undefined;
      return;
    }
    if (pending.current?.state !== connection.state) pending.current = { state: connection.state, since: Date.now() };
    const wait = Math.max(0, settleMs - (Date.now() - pending.current.since));
    const timer = setTimeout(() => {
      pending.current = undefined;
      setShown(connection);
    }, wait);
    return () => clearTimeout(timer);
  }, [connection, shown.state, settleMs]);

  return connection.state === shown.state ? connection : shown;
}

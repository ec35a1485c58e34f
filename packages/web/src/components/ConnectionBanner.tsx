/**
 * Under the header, for every state that is not plain "Live": what the badge
 * means for the fan and whether they need to do anything (usually not).
 */
import { useConnectionState } from "../hooks.js";
import type { ConnectionState } from "../push.js";

/** One line under the badge for every state that is not plain "Live": what it means for the fan. */
export function connectionHint(state: ConnectionState): string | undefined {
  switch (state) {
    case "live":
      return undefined;
    case "connecting":
      return "Opening the live connection…";
    case "reconnecting":
      return "The live connection dropped. Scores and your place stay on screen; we'll reconnect on our own.";
    case "polling":
      return "Live updates are paused, so we're checking for news every few seconds. Nothing to do on your side.";
    case "closed":
      return "You're offline. Check your internet connection; the page updates again once you're back.";
  }
}

export function ConnectionBanner() {
  const { state } = useConnectionState();
  const hint = connectionHint(state);
  if (hint === undefined) return null;
  return (
    <p className={`banner banner--${state}`} data-testid="connection-hint">
      {hint}
    </p>
  );
}

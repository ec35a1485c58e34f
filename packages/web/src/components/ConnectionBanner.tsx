/**
 * Under the header, for every state that is not plain "Live": what the badge
 * means for the fan and whether they need to do anything (usually not).
 */
import { useConnectionState } from "../hooks.js";
import type { ConnectionSnapshot } from "../push.js";

/** One line under the badge for every state that is not plain "Live": what it means for the fan. */
export function connectionHint({ state, reason }: Pick<ConnectionSnapshot, "state" | "reason">): string | undefined {
  switch (state) {
    case "live":
      return undefined;
    case "connecting":
      return "Opening the live connection…";
    case "reconnecting":
      return "The live connection dropped. Scores and your place stay on screen; we'll reconnect on our own.";
    case "polling":
      return "The live connection is down, so we check for news every few seconds and keep trying to reconnect. Nothing to do on your side.";
    case "closed":
      if (reason === "client" || reason === "idle") return "Live updates are stopped. Reload the page to start them again.";
      return "You're offline. Check your internet connection; the page updates again once you're back.";
  }
}

export function ConnectionBanner() {
  const connection = useConnectionState();
  const hint = connectionHint(connection);
  if (hint === undefined) return null;
  return (
    <p className={`banner banner--${connection.state}`} data-testid="connection-hint">
      {hint}
    </p>
  );
}

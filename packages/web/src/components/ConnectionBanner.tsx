/**
 * Under the header, for every state that is not plain "Live": what the badge
 * means for the fan and whether they need to do anything (usually not).
 */
import { useConnectionState } from "../hooks.js";
import type { ConnectionSnapshot } from "@pushgate/client";
import { useSecondsUntil } from "../use-seconds-until.js";

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
      // The client says "offline" only when the device has no network; never started (no reason) or stopped is ours to undo.
      if (reason === "offline") return "You're offline. Check your internet connection; the page updates again once you're back.";
      return "Live updates are stopped. Reload the page to start them again.";
  }
}

export function ConnectionBanner() {
  const connection = useConnectionState();
  // While polling, the socket is retried in the background; the badge stays "Polling", the banner says when.
  const seconds = useSecondsUntil(connection.state === "polling" ? connection.nextRetryAt : undefined);
  const hint = connectionHint(connection);
  if (hint === undefined) return null;
  return (
    <p className={`banner banner--${connection.state}`} data-testid="connection-hint">
      {hint}
      {seconds !== undefined && seconds > 0 && <span data-testid="connection-next-try"> Next live attempt in {seconds} s.</span>}
    </p>
  );
}

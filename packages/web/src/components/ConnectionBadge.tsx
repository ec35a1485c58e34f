/**
 * The connection badge tells the truth about how fresh the page is: pushed
 * live, waiting to reconnect (with the real countdown from the client's
 * backoff), polling snapshots, or offline. Its wording is stable for the
 * end-to-end tests: "Live", "Reconnecting in N s", "Polling", "Offline".
 */
import { useConnectionState } from "../hooks.js";
import type { ConnectionState } from "@pushgate/client";
import { useSecondsUntil } from "../use-seconds-until.js";
import { LiveAnnouncer } from "./LiveAnnouncer.js";

export function badgeLabel(state: ConnectionState, secondsToRetry: number | undefined): string {
  switch (state) {
    case "connecting":
      return "Connecting…";
    case "live":
      return "Live";
    case "reconnecting":
      return secondsToRetry !== undefined && secondsToRetry > 0 ? `Reconnecting in ${secondsToRetry} s` : "Reconnecting…";
    case "polling":
      return "Polling";
    case "closed":
      return "Offline";
  }
}

/** What screen readers hear: the state only, never the ticking seconds. */
function announcement(state: ConnectionState): string {
  switch (state) {
    case "connecting":
      return "Connecting to live updates.";
    case "live":
      return "Live updates on.";
    case "reconnecting":
      return "Connection lost. Reconnecting.";
    case "polling":
      return "Live connection down. Checking for updates every few seconds.";
    case "closed":
      return "Offline. Updates paused until you're back online.";
  }
}

export function ConnectionBadge() {
  const connection = useConnectionState();
  const seconds = useSecondsUntil(connection.state === "reconnecting" ? connection.nextRetryAt : undefined);
  const label = badgeLabel(connection.state, seconds);
  return (
    <>
      <p className={`badge badge--${connection.state}`} data-testid="connection-badge" data-state={connection.state}>
        <span className="badge__dot" aria-hidden="true" />
        <span data-testid="connection-badge-text">{label}</span>
      </p>
      <LiveAnnouncer message={announcement(connection.state)} testId="connection-announcer" />
    </>
  );
}

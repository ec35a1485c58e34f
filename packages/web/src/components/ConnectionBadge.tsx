/**
 * The connection badge says, in a fan's words, how fresh the page is: "Live",
 * "Connecting…", "Reconnecting…", "A few seconds late" (the snapshots are
 * polled) or "Offline". It shows the settled state (one that lasted a second),
 * and screen readers hear each settled change once, never ticking seconds.
 * The banner (ConnectionBanner) says what it means and offers "Retry now".
 */
import type { ConnectionState } from "@pushgate/client";
import { useSettledConnection } from "../use-settled-connection.js";
import { LiveAnnouncer } from "./LiveAnnouncer.js";

export function badgeLabel(state: ConnectionState): string {
  switch (state) {
    case "connecting":
      return "Connecting…";
    case "live":
      return "Live";
    case "reconnecting":
      return "Reconnecting…";
    case "polling":
      return "A few seconds late";
    case "closed":
      return "Offline";
  }
}

/** What screen readers hear when the shown state changes. */
function announcement(state: ConnectionState): string {
  switch (state) {
    case "connecting":
      return "Connecting to live updates.";
    case "live":
      return "Live updates on.";
    case "reconnecting":
      return "Connection lost. Reconnecting.";
    case "polling":
      return "Updates may be a few seconds late.";
    case "closed":
      return "Offline. Updates paused.";
  }
}

export function ConnectionBadge() {
  const { state } = useSettledConnection();
  return (
    <>
      <p className={`badge badge--${state}`} data-testid="connection-badge" data-state={state}>
        <span className="badge__dot" aria-hidden="true" />
        <span data-testid="connection-badge-text">{badgeLabel(state)}</span>
      </p>
      <LiveAnnouncer message={announcement(state)} testId="connection-announcer" />
    </>
  );
}

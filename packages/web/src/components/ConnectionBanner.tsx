/**
 * A strip fixed to the bottom of the screen for every settled state that is
 * not plain "Live": what it means for the fan, how old the data is, when the
 * next try comes, and "Retry now". Fixed, over space the page keeps free for
 * it, so its coming and going moves nothing else (no layout shift).
 */
import type { ConnectionSnapshot } from "@pushgate/client";
import { ageText, useDataIsStale } from "../data-age.js";
import { usePushServices } from "../push-context.js";
import { useSecondsUntil } from "../use-seconds-until.js";
import { useSettledConnection } from "../use-settled-connection.js";

/** One sentence for every state that is not plain "Live": what it means for the fan, with nothing for them to run or configure. */
export function connectionHint({ state, reason }: Pick<ConnectionSnapshot, "state" | "reason">): string | undefined {
  switch (state) {
    case "live":
      return undefined;
    case "connecting":
      return "Connecting to live updates…";
    case "reconnecting":
      return "Reconnecting… Scores and your place stay on screen meanwhile.";
    case "polling":
      return "Updates may be a few seconds late. We keep checking for news and switch back to live on our own.";
    case "closed":
      if (reason === "offline") return "You're offline. The page updates again once you're back online.";
      return "Live updates are paused.";
  }
}

export function ConnectionBanner() {
  const { client } = usePushServices();
  const connection = useSettledConnection();
  const { stale, confirmedAt, now } = useDataIsStale();
  const retrying = connection.state === "reconnecting" || connection.state === "polling";
  const seconds = useSecondsUntil(retrying ? connection.nextRetryAt : undefined);
  const hint = connectionHint(connection);
  if (hint === undefined) return null;
  return (
    <aside className={`banner banner--${connection.state}`} aria-label="Connection" data-testid="connection-hint">
      <p className="banner__text">
        {hint}
        {retrying && (
          <span data-testid="connection-next-try">
            {" "}
            {seconds !== undefined && seconds > 0 ? `Next try in ${seconds} s.` : "Trying now…"}
          </span>
        )}
        {stale && confirmedAt !== undefined && (
          <span data-testid="connection-data-age"> Scores last checked {ageText(now - confirmedAt)}.</span>
        )}
      </p>
      {connection.state !== "connecting" && (
        <button type="button" className="button button--small" onClick={() => client.reconnectNow()} data-testid="retry-now">
          Retry now
        </button>
      )}
    </aside>
  );
}

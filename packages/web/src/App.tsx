/**
 * The page: a header with the connection badge, tabs for the three views,
 * and the view the URL hash names. Every view keeps working (showing the last
 * known data) whatever the connection does; the badge and banner say how fresh,
 * and data nobody has confirmed lately is greyed.
 */
import { ConnectionBadge } from "./components/ConnectionBadge.js";
import { ConnectionBanner } from "./components/ConnectionBanner.js";
import { ScoreAnnouncer } from "./components/ScoreAnnouncer.js";
import { ResultsMark } from "./components/ResultsMark.js";
import type { PageConfig } from "./config.js";
import { useDataIsStale } from "./data-age.js";
import { useDocumentTitle } from "./page-title.js";
import { useHashRoute, type Route } from "./use-hash-route.js";
import { MyResults } from "./views/MyResults.js";
import { Scoreboard } from "./views/Scoreboard.js";
import { WaitingRoom } from "./views/WaitingRoom.js";

const TABS: { route: Route; label: string }[] = [
  { route: "scores", label: "Scores" },
  { route: "queue", label: "Tickets" },
  { route: "results", label: "My results" },
];

export function App({ config }: { config: PageConfig }) {
  const route = useHashRoute();
  const { stale } = useDataIsStale();
  useDocumentTitle(route);
  return (
    <>
      <header className="header">
        <p className="brand">
          push<strong>gate</strong>
        </p>
        <ConnectionBadge />
      </header>
      <ConnectionBanner />
      <nav className="tabs" aria-label="Sections">
        {TABS.map((tab) => (
          <a key={tab.route} href={`#/${tab.route}`} className="tabs__tab" aria-current={route === tab.route ? "page" : undefined}>
            {tab.label}
            {tab.route === "results" && route !== "results" && <ResultsMark />}
          </a>
        ))}
      </nav>
      <main id="main" className={stale ? "main main--stale" : "main"} data-stale={stale}>
        {/* Page-wide, whatever the view: followed scores (a ready report is the Results tab's ResultsMark). */}
        <ScoreAnnouncer />
        {route === "scores" && <Scoreboard pinned={config.pinnedGames} />}
        {route === "queue" && <WaitingRoom eventId={config.queueEventId} />}
        {route === "results" && <MyResults />}
      </main>
    </>
  );
}

import { EndpointsError } from "./endpoints.js";

/**
 * The page could not start: say so in a fan's words, with the one thing a fan
 * can do (reload). What an operator needs (which file, which command) goes to
 * the console, never to the fan.
 */
export function StartupError({ error }: { error: unknown }) {
  const missingEndpoints = error instanceof EndpointsError;
  return (
    <main className="main">
      <div className="notice notice--error" role="alert" data-testid="startup-error">
        <h1 className="notice__title">{missingEndpoints ? "Live scores can't be reached right now." : "This page couldn't start."}</h1>
        <p>Please try again in a moment. If it keeps happening, the service may be down for maintenance.</p>
        <button type="button" className="button" onClick={() => location.reload()}>
          Try again
        </button>
      </div>
    </main>
  );
}

/** For whoever opens the console: what went wrong, and for an operator, what to do about it. */
export function startupProblemForConsole(error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof EndpointsError) {
    return `pushgate: the page found no endpoints (${detail}). Running locally? Start the local cloud with \`npm start\` and open the URL it prints.`;
  }
  return `pushgate: start-up failed: ${detail}. Reload; if it persists, check the browser's network panel.`;
}

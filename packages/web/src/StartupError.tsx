import { EndpointsError } from "./endpoints.js";

/** The page could not start: say why in plain words and what to do. */
export function StartupError({ error }: { error: unknown }) {
  const missingEndpoints = error instanceof EndpointsError;
  return (
    <main className="main">
      <div className="notice notice--error" role="alert" data-testid="startup-error">
        <p className="notice__title">{missingEndpoints ? "This page can't find the pushgate servers." : "This page couldn't start."}</p>
        <p>
          {missingEndpoints
            ? "If you run pushgate locally, start the local cloud with `npm start` and open the URL it prints. Otherwise, reload in a moment."
            : "Reload the page. If it keeps happening, tell us what you see below."}
        </p>
        <p className="notice__detail">{error instanceof Error ? error.message : String(error)}</p>
        <button type="button" className="button" onClick={() => location.reload()}>
          Reload
        </button>
      </div>
    </main>
  );
}

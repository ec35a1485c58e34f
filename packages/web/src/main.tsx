import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.js";
import { pageConfig } from "./config.js";
import { PushProvider } from "./push-context.js";
import { startPushgate } from "./start.js";
import { StartupError, startupProblemForConsole } from "./StartupError.js";
import "./styles.css";

const container = document.getElementById("root");
if (!container) throw new Error("index.html has no #root element");
const root = createRoot(container);

root.render(
  <p className="startup" role="status">
    Connecting to pushgate…
  </p>,
);

startPushgate(import.meta.env, location.origin).then(
  ({ client, api, realClient }) => {
    // One client for the page's life; a dev hot reload replaces it, so close the old socket.
    import.meta.hot?.dispose(() => realClient.close());
    root.render(
      <StrictMode>
        <PushProvider client={client} api={api}>
          <App config={pageConfig(import.meta.env)} />
        </PushProvider>
      </StrictMode>,
    );
  },
  (error: unknown) => {
    console.error(startupProblemForConsole(error), error);
    root.render(<StartupError error={error} />);
  },
);

/**
 * Serves packages/web with Vite's dev server (hot module reload for the React
 * app) and answers /endpoints.json from the running local cloud, so the page
 * finds its servers with no build-time variables and no file on disk.
 */
import { join } from "node:path";
import { createServer, type Plugin, type ViteDevServer } from "vite";
import { repoRoot, type Endpoints } from "./cloud";
import type { Log } from "./log";

export interface WebAppOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Read on every request: the web URL is only known once the server listens. */
  endpoints: () => Endpoints;
  log?: Log;
}

export interface WebApp {
  url: string;
  stop(): Promise<void>;
}

export async function startWebApp(options: WebAppOptions): Promise<WebApp> {
  const serveEndpoints: Plugin = {
    name: "pushgate-running-endpoints",
    // Before the web package's own plugin, which reads .pushgate/endpoints.json.
    enforce: "pre",
    configureServer(server) {
      server.middlewares.use("/endpoints.json", (_request, response) => {
        const { websocketUrl, httpApiUrl } = options.endpoints();
        response.setHeader("content-type", "application/json");
        response.setHeader("cache-control", "no-store");
        response.end(JSON.stringify({ websocketUrl, httpApiUrl }));
      });
    },
  };
  let server: ViteDevServer;
  try {
    server = await createServer({
      configFile: join(repoRoot, "packages/web/vite.config.ts"),
      root: join(repoRoot, "packages/web"),
      logLevel: "warn",
      clearScreen: false,
      plugins: [serveEndpoints],
      server: { host: "127.0.0.1", port: options.port ?? 0, strictPort: options.port !== undefined && options.port !== 0 },
    });
    await server.listen();
  } catch (error) {
    throw new Error(`the web app could not start: ${(error as Error).message}; free the port or pass --port-web N (or --no-web)`);
  }
  const address = server.httpServer?.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const url = `http://127.0.0.1:${port}`;
  options.log?.("info", `web app on ${url}`);
  return { url, stop: () => server.close() };
}

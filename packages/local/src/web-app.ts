/**
 * Serves packages/web with Vite's dev server (hot module reload for the React
 * app) and answers /endpoints.json from the running local cloud, so the page
 * finds its servers with no build-time variables and no file on disk.
 *
 * What the server may read from disk is decided once, in packages/web's
 * vite.config.ts (the app's sources and the packages it runs), for this server
 * and for `npm run dev -w packages/web` alike.
 */
import { join } from "node:path";
import { browserEndpoints } from "@pushgate/core/wire";
import { createServer, type Plugin, type ViteDevServer } from "vite";
import { repoRoot, type Endpoints } from "./cloud";
import { isWildcardHost, loopbackHost, urlHost } from "./listen-host";
import type { Log } from "./log";

export interface WebAppOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1; 0.0.0.0 lets a phone on the same network open the app. */
  host?: string;
  /** Read on every request: the web URL is only known once the server listens. */
  endpoints: () => Endpoints;
  log?: Log;
}

export interface WebApp {
  url: string;
  stop(): Promise<void>;
}

export async function startWebApp(options: WebAppOptions): Promise<WebApp> {
  const host = options.host ?? loopbackHost;
  const serveEndpoints: Plugin = {
    name: "pushgate-running-endpoints",
    // Before the web package's own plugin, which reads .pushgate/endpoints.json.
    enforce: "pre",
    configureServer(server) {
      server.middlewares.use("/endpoints.json", (request, response) => {
        const endpoints = browserEndpoints({ ...options.endpoints() });
        response.setHeader("content-type", "application/json");
        response.setHeader("cache-control", "no-store");
        response.end(JSON.stringify(isWildcardHost(host) ? asSeenFrom(request.headers.host, endpoints) : endpoints));
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
      server: { host, port: options.port ?? 0, strictPort: options.port !== undefined && options.port !== 0 },
    });
    await server.listen();
  } catch (error) {
    throw new Error(`the web app could not start: ${(error as Error).message}; free the port or pass --port-web N (or --no-web)`);
  }
  const address = server.httpServer?.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const url = `http://${urlHost(host)}:${port}`;
  options.log?.("info", `web app on ${url}`);
  return { url, stop: () => server.close() };
}

/**
 * A phone that opened the app at http://192.168.1.5:5173 cannot reach
 * 127.0.0.1: hand it the API URLs on the host it used to reach us (every
 * service listens on that interface too when the developer asked for 0.0.0.0).
 */
function asSeenFrom(hostHeader: string | undefined, endpoints: ReturnType<typeof browserEndpoints>): ReturnType<typeof browserEndpoints> {
  if (!hostHeader) return endpoints;
  const hostname = new URL(`http://${hostHeader}`).hostname;
  const rehost = (value: string | undefined) => {
    if (!value) return value;
    const url = new URL(value);
    url.hostname = hostname;
    return url.toString().replace(/\/$/, value.endsWith("/") ? "/" : "");
  };
  return { ...endpoints, httpApiUrl: rehost(endpoints.httpApiUrl), websocketUrl: rehost(endpoints.websocketUrl) };
}

/**
 * Where the HTTP API and the WebSocket live. Build-time variables win
 * (VITE_HTTP_API_URL, VITE_WS_URL); otherwise the page asks its own origin for
 * /endpoints.json, which the local cloud's dev server serves from
 * .pushgate/endpoints.json. Checked once at start-up, with a message that says
 * what to do when it is missing.
 */
import type { BrowserEndpoints } from "@pushgate/client";

export type Endpoints = BrowserEndpoints;

export class EndpointsError extends Error {
  override readonly name = "EndpointsError";
}

export async function resolveEndpoints(options: {
  env: { VITE_HTTP_API_URL?: string; VITE_WS_URL?: string };
  fetch?: typeof fetch;
  /** The page's own origin, e.g. location.origin. */
  origin: string;
}): Promise<Endpoints> {
  const { VITE_HTTP_API_URL: httpApiUrl, VITE_WS_URL: websocketUrl } = options.env;
  if (httpApiUrl && websocketUrl) return { httpApiUrl, websocketUrl };

  const url = new URL("/endpoints.json", options.origin).toString();
  const http = options.fetch ?? globalThis.fetch.bind(globalThis);
  let response: Response;
  try {
    response = await http(url, { headers: { accept: "application/json" }, cache: "no-store" });
  } catch (cause) {
    throw new EndpointsError(`could not fetch ${url}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  if (!response.ok) throw new EndpointsError(`${url} answered ${response.status}`);
  let body: Record<string, unknown>;
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    throw new EndpointsError(`${url} is not JSON`);
  }
  const found = {
    // A variable that is set still wins over the file, key by key.
    httpApiUrl: httpApiUrl ?? body.httpApiUrl,
    websocketUrl: websocketUrl ?? body.websocketUrl,
  };
  if (typeof found.httpApiUrl !== "string" || typeof found.websocketUrl !== "string") {
    throw new EndpointsError(`${url} lacks "httpApiUrl" or "websocketUrl"`);
  }
  return { httpApiUrl: found.httpApiUrl, websocketUrl: found.websocketUrl };
}

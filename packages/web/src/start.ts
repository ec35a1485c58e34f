/**
 * Start-up, done once outside React (so StrictMode's double effects cannot
 * create two clients): find the endpoints, create the one push client with a
 * session that survives a reload, and the HTTP API that shares its token.
 */
import { createPushClient, sessionEndpointTokenProvider, type PushClient as RealPushClient } from "@pushgate/client";
import { createFanApi } from "./api.js";
import { resolveEndpoints } from "./endpoints.js";
import type { PushServices } from "./push-context.js";
import { rememberedSession } from "./remembered-session.js";

export interface Started extends PushServices {
  /** The real client, for closing it (e.g. on hot reload). */
  realClient: RealPushClient;
}

export async function startPushgate(env: ImportMetaEnv, origin: string): Promise<Started> {
  const { httpApiUrl, websocketUrl } = await resolveEndpoints({ env, origin });
  const fetchImpl = (input: string, init?: RequestInit) => globalThis.fetch(input, init);
  const realClient = createPushClient({
    httpApiUrl,
    websocketUrl,
    // localStorage: every tab of this browser is the same fan, so a new tab finds its place in the queue.
    tokenProvider: rememberedSession(sessionEndpointTokenProvider({ httpApiUrl, fetch: fetchImpl }), localStorageOrUndefined()),
  });
  const api = createFanApi({ httpApiUrl, fetchWithSession: (url, init) => realClient.fetchWithSession(url, init) });

  // Connection failures reach the fan through the badge and banner, refused
  // topics through the views; this log is for whoever opens the console.
  realClient.on("error", (error) => console.warn(`pushgate client: ${error.code}: ${error.message}`, error.cause ?? ""));
  realClient.connect();
  return { client: realClient, api, realClient };
}

function localStorageOrUndefined(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    // Some privacy modes throw on access: the session then lasts as long as the page.
    return undefined;
  }
}

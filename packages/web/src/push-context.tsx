/**
 * One push client (and one HTTP API) per page, handed down through context so
 * that every view shares the same WebSocket and the same session.
 */
import { createContext, useContext, type ReactNode } from "react";
import type { PushClient } from "./push.js";
import type { FanApi } from "./api.js";

export interface PushServices {
  client: PushClient;
  api: FanApi;
}

const PushContext = createContext<PushServices | null>(null);

export function PushProvider({ client, api, children }: PushServices & { children: ReactNode }) {
  // Not memoised on purpose: client and api are created once at start-up, so
  // the value only changes if the caller hands in a different client.
  return <PushContext.Provider value={{ client, api }}>{children}</PushContext.Provider>;
}

export function usePushServices(): PushServices {
  const services = useContext(PushContext);
  if (services === null) {
    // A programming error, not a fan-facing one: fail loudly in development.
    throw new Error("usePushServices() needs a <PushProvider> above it");
  }
  return services;
}

/**
 * One push client (and one HTTP API) per page, handed down through context so
 * that every view shares the same WebSocket and the same session.
 */
import type { PushClient } from "@pushgate/client";
import { createContext, useContext, type ReactNode } from "react";
import type { FanApi } from "./api.js";

/**
 * The part of `@pushgate/client`'s PushClient the views read, in the client's
 * own types: the real client is one, and component tests hand in a small fake.
 */
export type PushStores = Pick<PushClient, "connection" | "freshness" | "topic" | "reconnectNow">;

export interface PushServices {
  client: PushStores;
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

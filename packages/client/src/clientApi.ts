/**
 * The push client's public contract: the options it takes, the events it
 * emits, the `PushClient` interface, the defaults and the refusal of a missing
 * URL, WebSocket or fetch. Implemented in client.ts.
 */
import type { MessageFrame, SubscribedTopic } from "@pushgate/core/wire";
import type { BackoffOptions } from "./backoff";
import type { ConnectionSettings } from "./connection";
import type { ConnectionSnapshot, ConnectionState, StateChange } from "./connectionState";
import type { Clock, FetchLike, OnlineSource, RandomSource, Timers, VisibilitySource, WebSocketConstructor } from "./environment";
import type { PushClientError } from "./errors";
import type { ReadableStore } from "./externalStore";
import type { Freshness } from "./freshness";
import type { SessionToken, TokenProvider, TokenReason } from "./session";
import type { PollingOptions } from "./snapshotPoller";
import type { KindOfTopic, TopicSnapshot, UpdateSource } from "./topicStore";

export interface PushClientOptions {
  /** Base URL of the HTTP API (`POST /session`, `GET /snapshots`). */
  httpApiUrl: string;
  /** `wss://…` URL of the WebSocket API. */
  websocketUrl: string;
  /** Topics held for the client's whole life (more with `subscribe`). */
  topics?: readonly string[];
  /** Default `globalThis.WebSocket`; in Node pass `ws`'s `WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Default the platform's setTimeout/clearTimeout. */
  timers?: Timers;
  /** Default `Date.now`. */
  clock?: Clock;
  /** Default `Math.random` (backoff jitter). */
  random?: RandomSource;
  /** Default the window's online/offline events in a browser, none in Node; `null` to ignore them. */
  online?: OnlineSource | null;
  /**
   * Default the document's visibility and the window's resume events in a
   * browser, none in Node (always visible); `null` to ignore them.
   */
  visibility?: VisibilitySource | null;
  /** Default `POST {httpApiUrl}/session`. */
  tokenProvider?: TokenProvider;
  /** Renew the token this long before it expires. Default 60 s. */
  tokenRefreshMarginMs?: number;
  /** Socket retry backoff. Default base 500 ms, cap 20 s. */
  reconnect?: Partial<BackoffOptions>;
  /** A connection live this long resets the backoff (a socket that drops at once is no success). Default 10 s. */
  stableAfterMs?: number;
  /** Default 15 s. */
  connectTimeoutMs?: number;
  /**
   * Ping a socket that has been silent this long while the page is visible.
   * With the pong deadline, a silently dead socket is noticed within 40 s by default. Default 30 s.
   */
  pingIntervalMs?: number;
  /**
   * The cadence while the page is hidden, and the longest time between two
   * pings whatever arrives (well inside API Gateway's 10-minute idle timeout). Default 5 min.
   */
  hiddenPingIntervalMs?: number;
  /** Default 10 s. */
  pongTimeoutMs?: number;
  /** Open a successor socket after this long, before API Gateway's 2-hour limit cuts it. Default 1 h 50 min. */
  maxConnectionAgeMs?: number;
  /**
   * A subscribe unanswered this long is sent again (with backoff; its topics'
   * stores show REQUEST_TIMEOUT meanwhile). Above API Gateway's 29 s
   * integration timeout, after which the gateway answers for the route. Default 35 s.
   */
  requestTimeoutMs?: number;
  /**
   * Snapshot polling whenever no socket is live (connecting and reconnecting
   * too); `false` to never poll. Default every 2 s, backing off to 30 s.
   */
  polling?: Partial<PollingOptions> | false;
}

export interface AppliedMessage {
  frame: MessageFrame;
  source: UpdateSource;
}

export interface StaleMessage extends AppliedMessage {
  /** The seq already applied, at or above the frame's. */
  lastSeq: number;
}

export interface PushClientEvents {
  /** Every connection snapshot change (`from === to` when only details such as `nextRetryAt` changed). */
  state: StateChange;
  /** Every failure, client-side or an error frame from the server. The client never throws into the app. */
  error: PushClientError;
  /** A publication was applied to its topic store. */
  message: AppliedMessage;
  /** A publication was dropped: its seq was not above the last applied one (at-least-once delivery). */
  stale: StaleMessage;
  /** The server acknowledged a subscribe request. */
  subscribed: { requestId: string; topics: SubscribedTopic[] };
  /** A token was obtained or renewed. */
  token: { token: SessionToken; reason: TokenReason };
  /** The server answered the liveness ping (for a latency readout). */
  pong: { roundTripMs: number };
  /** A planned reconnect (before the 2-hour limit) moved to its new socket. */
  handover: { at: number };
}

export interface PushClient {
  /** `{state, attempt, nextRetryAt, since, reason, lastError}` for `useSyncExternalStore`. */
  readonly connection: ReadableStore<ConnectionSnapshot>;
  /** When the client last knew its topics were current (for "12 s ago" and dimming stale data). */
  readonly freshness: ReadableStore<Freshness>;
  getState(): ConnectionState;
  /**
   * The topic's store, the same object for the same name. Subscribing a
   * listener holds the topic on the wire; when the last listener leaves, the
   * client unsubscribes (a microtask later, so React StrictMode's
   * unmount-remount does not send unsubscribe + subscribe). `getSnapshot`
   * alone subscribes nothing.
   */
  topic<T extends string>(name: T): ReadableStore<TopicSnapshot<KindOfTopic<T>>>;
  /** Hold topics without a listener (reference-counted, shared with `topic().subscribe`); returns the release, safe to call twice. */
  subscribe(topics: string | readonly string[]): () => void;
  on<K extends keyof PushClientEvents>(type: K, listener: (event: PushClientEvents[K]) => void): () => void;
  /** Start (or restart after `close()`). No-op unless closed. */
  connect(): void;
  /** Stop everything: socket, polling, timers. Topic stores keep their data. */
  close(): void;
  /**
   * "Retry now": run the waiting reconnect at once instead of at the end of its
   * backoff, check a live socket with a ping, or start again after `close()`
   * or an offline spell. An attempt already under way is left to finish.
   */
  reconnectNow(): void;
  /**
   * The current fan token, renewed if needed, for the app's own calls
   * (`POST /jobs`, `POST /queues/{id}/join`). Rejects with a `SessionError`
   * (its `detail` is the PushClientError) when no token can be had: the app
   * asked for it, so it must hear of the failure.
   */
  getSession(): Promise<SessionToken>;
  /**
   * `fetch` for the app's own calls to the HTTP API (`POST /jobs`, queue joins),
   * with the fan token as `Authorization: Bearer`: a 401 (the token expired on
   * the server's clock, or its key was rotated) renews the session once and
   * retries once. Rejects with a `SessionError` when no token can be had, or
   * with fetch's own error when the network fails.
   */
  fetchWithSession(url: string, init?: RequestInit): Promise<Response>;
}

export const DEFAULTS = {
  tokenRefreshMarginMs: 60_000,
  stableAfterMs: 10_000,
  connectTimeoutMs: 15_000,
  pingIntervalMs: 30_000,
  hiddenPingIntervalMs: 5 * 60_000,
  pongTimeoutMs: 10_000,
  maxConnectionAgeMs: 110 * 60_000,
  requestTimeoutMs: 35_000,
} as const;

/** Configuration mistakes are programming errors: refuse them at creation, once, with what to do. */
export function requiredPlatform(options: PushClientOptions): { WebSocket: WebSocketConstructor; fetch: FetchLike } {
  for (const key of ["httpApiUrl", "websocketUrl"] as const) {
    if (typeof options[key] !== "string" || options[key].length === 0) {
      throw new TypeError(`createPushClient: options.${key} is required (a URL string)`);
    }
  }
  const WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WebSocket) {
    throw new TypeError('createPushClient: no global WebSocket here; pass options.WebSocket (in Node: `import { WebSocket } from "ws"`)');
  }
  const fetch = options.fetch ?? (globalThis.fetch ? (input: string, init?: RequestInit) => globalThis.fetch(input, init) : undefined);
  if (!fetch) throw new TypeError("createPushClient: no global fetch here; pass options.fetch");
  return { WebSocket, fetch };
}

export function connectionSettings(options: PushClientOptions): ConnectionSettings {
  return {
    stableAfterMs: options.stableAfterMs ?? DEFAULTS.stableAfterMs,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    pingIntervalMs: options.pingIntervalMs ?? DEFAULTS.pingIntervalMs,
    hiddenPingIntervalMs: options.hiddenPingIntervalMs ?? DEFAULTS.hiddenPingIntervalMs,
    pongTimeoutMs: options.pongTimeoutMs ?? DEFAULTS.pongTimeoutMs,
    maxConnectionAgeMs: options.maxConnectionAgeMs ?? DEFAULTS.maxConnectionAgeMs,
  };
}

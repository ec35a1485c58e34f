import {
  MAX_TOPICS_PER_REQUEST,
  POLICY_VIOLATION_PREFIX,
  type ErrorFrame,
  type MessageFrame,
  type SubscribedFrame,
  type SubscribedTopic,
} from "@pushgate/core/wire";
import { attemptAtCap, fullJitterDelay, RECONNECT_BACKOFF, type BackoffOptions } from "./backoff";
import {
  ConnectionStateMachine,
  type ClosedReason,
  type ConnectionSnapshot,
  type ConnectionState,
  type StateChange,
} from "./connectionState";
import {
  browserOnlineSource,
  platformTimers,
  systemClock,
  type Clock,
  type FetchLike,
  type OnlineSource,
  type RandomSource,
  type TimerHandle,
  type Timers,
  type WebSocketConstructor,
} from "./environment";
import { clientError, describeCause, type PushClientError } from "./errors";
import { TypedEmitter } from "./events";
import type { ReadableStore } from "./externalStore";
import { DEFAULT_POLLING, SnapshotPoller, type PollingOptions } from "./snapshotPoller";
import {
  sessionEndpointTokenProvider,
  sessionFailure,
  TokenKeeper,
  type SessionToken,
  type TokenProvider,
  type TokenReason,
} from "./session";
import { SnapshotFetcher } from "./snapshotFetcher";
import { SnapshotUrls } from "./snapshotUrls";
import { TopicStores, type KindOfTopic, type TopicSnapshot, type UpdateSource } from "./topicStore";
import { WebSocketTransport, type CloseInfo, type WebSocketTransportEvents } from "./websocketTransport";

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
  /** Ping interval; well inside API Gateway's 10-minute idle timeout. Default 5 min. */
  pingIntervalMs?: number;
  /** Default 10 s. */
  pongTimeoutMs?: number;
  /** Open a successor socket after this long, before API Gateway's 2-hour limit cuts it. Default 1 h 50 min. */
  maxConnectionAgeMs?: number;
  /** Snapshot polling while the socket is down; `false` to never poll. Default every 2 s, backing off to 30 s. */
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
   * The current fan token, renewed if needed, for the app's own calls
   * (`POST /jobs`, `POST /queues/{id}/join`). Rejects with a `SessionError`
   * (its `detail` is the PushClientError) when no token can be had: the app
   * asked for it, so it must hear of the failure.
   */
  getSession(): Promise<SessionToken>;
}

export const DEFAULTS = {
  tokenRefreshMarginMs: 60_000,
  stableAfterMs: 10_000,
  connectTimeoutMs: 15_000,
  pingIntervalMs: 5 * 60_000,
  pongTimeoutMs: 10_000,
  maxConnectionAgeMs: 110 * 60_000,
} as const;

/** Resync attempts when the snapshot lags behind the ack's seq (the fan-out writes it a moment later). */
const RESYNC_RETRIES = 3;
const RESYNC_RETRY_MS = 1_000;

export function createPushClient(options: PushClientOptions): PushClient {
  return new PushClientImpl(options);
}

interface PendingSubscribe {
  transport: WebSocketTransport;
  topics: string[];
}

class PushClientImpl implements PushClient {
  private readonly timers: Timers;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly WebSocketCtor: WebSocketConstructor;
  private readonly websocketUrl: string;
  private readonly onlineSource: OnlineSource | undefined;
  private readonly backoff: BackoffOptions;
  private readonly settings: Required<
    Pick<PushClientOptions, "stableAfterMs" | "connectTimeoutMs" | "pingIntervalMs" | "pongTimeoutMs" | "maxConnectionAgeMs">
  >;
  private readonly pollingEnabled: boolean;

  private readonly machine: ConnectionStateMachine;
  private readonly emitter = new TypedEmitter<PushClientEvents>();
  private readonly topicStores = new TopicStores();
  private readonly tokens: TokenKeeper;
  private readonly urls: SnapshotUrls;
  private readonly fetcher: SnapshotFetcher;
  private readonly poller: SnapshotPoller;

  /** Topic -> holders. A topic is subscribed on the server while it has one. */
  private readonly wanted = new Map<string, number>();
  /** One stable store handle per topic name (React compares stores by identity). */
  private readonly topicHandles = new Map<string, ReadableStore<TopicSnapshot>>();
  private readonly pending = new Map<string, PendingSubscribe>();
  /** Timers that die with the current run (resync retries, subscribe retries). */
  private readonly runTimers = new Set<TimerHandle>();

  /** The socket that is (or is becoming) the connection. */
  private socket: WebSocketTransport | null = null;
  /** A planned reconnect's new socket, while it subscribes and before it replaces `socket`. */
  private successor: WebSocketTransport | null = null;
  /**
   * Bumped when a socket attempt starts and when everything stops: an attempt
   * still awaiting its token compares its generation and gives up if superseded.
   */
  private generation = 0;
  /** Bumped when everything stops (close, offline): a resync still awaiting S3 then applies nothing. */
  private run = 0;
  private attempt = 0;
  private successorAttempt = 0;
  private requestCounter = 0;
  /** The handshake-refused token renewal is done once per outage, not once per attempt. */
  private refusalRenewalSpent = false;
  private reconnectTimer: TimerHandle | undefined;
  private stableTimer: TimerHandle | undefined;
  private successorTimer: TimerHandle | undefined;
  private stopListeningOnline: (() => void) | undefined;

  readonly connection: ReadableStore<ConnectionSnapshot>;

  constructor(options: PushClientOptions) {
    // Configuration mistakes are programming errors: refuse them here, once, with what to do.
    for (const key of ["httpApiUrl", "websocketUrl"] as const) {
      if (typeof options[key] !== "string" || options[key].length === 0) {
        throw new TypeError(`createPushClient: options.${key} is required (a URL string)`);
      }
    }
    const WebSocketCtor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketCtor) {
      throw new TypeError("createPushClient: no global WebSocket here; pass options.WebSocket (in Node: `import { WebSocket } from \"ws\"`)");
    }
    const fetchImpl = options.fetch ?? (globalThis.fetch ? (input: string, init?: RequestInit) => globalThis.fetch(input, init) : undefined);
    if (!fetchImpl) throw new TypeError("createPushClient: no global fetch here; pass options.fetch");

    this.WebSocketCtor = WebSocketCtor;
    this.websocketUrl = options.websocketUrl;
    this.timers = options.timers ?? platformTimers;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.onlineSource = options.online === null ? undefined : (options.online ?? browserOnlineSource());
    this.backoff = { ...RECONNECT_BACKOFF, ...options.reconnect };
    this.settings = {
      stableAfterMs: options.stableAfterMs ?? DEFAULTS.stableAfterMs,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      pingIntervalMs: options.pingIntervalMs ?? DEFAULTS.pingIntervalMs,
      pongTimeoutMs: options.pongTimeoutMs ?? DEFAULTS.pongTimeoutMs,
      maxConnectionAgeMs: options.maxConnectionAgeMs ?? DEFAULTS.maxConnectionAgeMs,
    };
    this.pollingEnabled = options.polling !== false;

    this.machine = new ConnectionStateMachine(this.clock, (change) => this.emitter.emit("state", change));
    this.connection = this.machine.store;
    this.tokens = new TokenKeeper(
      options.tokenProvider ?? sessionEndpointTokenProvider({ httpApiUrl: options.httpApiUrl, fetch: fetchImpl }),
      this.clock,
      options.tokenRefreshMarginMs ?? DEFAULTS.tokenRefreshMarginMs,
      (token, reason) => this.emitter.emit("token", { token, reason }),
    );
    this.urls = new SnapshotUrls({
      httpApiUrl: options.httpApiUrl,
      fetch: fetchImpl,
      token: async () => (await this.tokens.get()).token,
    });
    this.fetcher = new SnapshotFetcher(fetchImpl);
    this.poller = new SnapshotPoller({
      fetcher: this.fetcher,
      urls: this.urls,
      timers: this.timers,
      random: this.random,
      options: { ...DEFAULT_POLLING, ...(options.polling === false ? {} : options.polling) },
      topics: () => [...this.wanted.keys()],
      onSnapshot: (frame) => this.apply(frame, "snapshot"),
      onError: (error) => this.emitter.emit("error", error),
    });
    if (options.topics && options.topics.length > 0) this.subscribe(options.topics);
  }

  // ---- public API -----------------------------------------------------------

  getState(): ConnectionState {
    return this.machine.state;
  }

  topic<T extends string>(name: T): ReadableStore<TopicSnapshot<KindOfTopic<T>>> {
    let handle = this.topicHandles.get(name);
    if (!handle) {
      const store = this.topicStores.store(name) as ReadableStore<TopicSnapshot>;
      handle = {
        getSnapshot: store.getSnapshot,
        subscribe: (listener) => {
          const stopListening = store.subscribe(listener);
          const release = this.subscribe(name);
          return () => {
            stopListening();
            release();
          };
        },
      };
      this.topicHandles.set(name, handle);
    }
    return handle as unknown as ReadableStore<TopicSnapshot<KindOfTopic<T>>>;
  }

  on<K extends keyof PushClientEvents>(type: K, listener: (event: PushClientEvents[K]) => void): () => void {
    return this.emitter.on(type, listener);
  }

  getSession(): Promise<SessionToken> {
    return this.tokens.get();
  }

  connect(): void {
    if (this.machine.state !== "closed") return;
    if (this.onlineSource && !this.stopListeningOnline) {
      this.stopListeningOnline = this.onlineSource.subscribe((online) => (online ? this.wentOnline() : this.wentOffline()));
    }
    this.attempt = 0;
    if (this.onlineSource && !this.onlineSource.isOnline()) {
      this.setState("closed", { reason: "offline" });
      return;
    }
    this.setState("connecting");
    void this.openSocket();
  }

  close(): void {
    this.stopListeningOnline?.();
    this.stopListeningOnline = undefined;
    this.stopEverything();
    this.setState("closed", { reason: "client" });
  }

  subscribe(topics: string | readonly string[]): () => void {
    const list = typeof topics === "string" ? [topics] : [...topics];
    const added: string[] = [];
    for (const topic of list) {
      const holders = this.wanted.get(topic) ?? 0;
      this.wanted.set(topic, holders + 1);
      if (holders === 0) {
        added.push(topic);
        this.topicStores.clearError(topic);
      }
    }
    if (added.length > 0) {
      for (const transport of this.openTransports()) this.sendSubscribe(transport, added);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Deferred: a release followed at once by a new hold (a React remount) must not
      // cost an unsubscribe and a subscribe round trip.
      queueMicrotask(() => this.release(list));
    };
  }

  // ---- the one place the state changes ----------------------------------------

  private setState(
    to: ConnectionState,
    details: { nextRetryAt?: number; reason?: ClosedReason; lastError?: PushClientError } = {},
  ): void {
    this.machine.setState(to, { attempt: this.attempt, ...details });
  }

  // ---- socket lifecycle ---------------------------------------------------------

  private async openSocket(): Promise<void> {
    const generation = ++this.generation;
    let token: SessionToken;
    try {
      token = await this.tokens.get();
    } catch (error) {
      if (generation !== this.generation) return;
      const failure = sessionFailure(error);
      this.emitter.emit("error", failure);
      this.attemptFailed(failure, false);
      return;
    }
    if (generation !== this.generation) return;
    const transport = this.newTransport(token.token);
    if (transport instanceof WebSocketTransport) this.socket = transport;
    else {
      this.emitter.emit("error", transport);
      this.attemptFailed(transport, false);
    }
  }

  private newTransport(token: string): WebSocketTransport | PushClientError {
    try {
      return new WebSocketTransport(
        {
          WebSocket: this.WebSocketCtor,
          url: this.websocketUrl,
          token,
          timers: this.timers,
          clock: this.clock,
          pingIntervalMs: this.settings.pingIntervalMs,
          pongTimeoutMs: this.settings.pongTimeoutMs,
          connectTimeoutMs: this.settings.connectTimeoutMs,
          nextRequestId: () => this.nextRequestId(),
        },
        this.transportEvents,
      );
    } catch (cause) {
      // The constructor throws for a malformed URL; retrying will not fix it, but backing off keeps it quiet.
      return clientError("HANDSHAKE_FAILED", `could not create the WebSocket: ${describeCause(cause)}`, { cause });
    }
  }

  private readonly transportEvents: WebSocketTransportEvents = {
    onOpen: (transport) => this.socketOpened(transport),
    onFrame: (transport, frame) => {
      if (transport !== this.socket && transport !== this.successor) return;
      switch (frame.type) {
        case "message":
          this.apply(frame, "push");
          return;
        case "subscribed":
          this.acknowledged(transport, frame);
          return;
        case "error":
          this.serverError(transport, frame);
          return;
        case "unsubscribed":
        case "pong":
          return;
      }
    },
    onBadFrame: (transport, error) => {
      if (transport === this.socket || transport === this.successor) this.emitter.emit("error", error);
    },
    onPong: (transport, roundTripMs) => {
      if (transport === this.socket || transport === this.successor) this.emitter.emit("pong", { roundTripMs });
    },
    onClose: (transport, info) => this.socketClosed(transport, info),
  };

  private socketOpened(transport: WebSocketTransport): void {
    if (transport === this.successor) {
      this.sendSubscribe(transport, [...this.wanted.keys()]);
      if (!this.hasPending(transport)) this.promoteSuccessor();
      return;
    }
    if (transport !== this.socket) return;
    this.timers.clearTimeout(this.reconnectTimer);
    this.refusalRenewalSpent = false;
    this.poller.stop();
    this.setState("live");
    this.stableTimer = this.timers.setTimeout(() => {
      this.attempt = 0;
      this.successorAttempt = 0;
      this.setState("live");
    }, this.settings.stableAfterMs);
    this.scheduleSuccessor(this.settings.maxConnectionAgeMs);
    this.sendSubscribe(transport, [...this.wanted.keys()]);
  }

  private socketClosed(transport: WebSocketTransport, info: CloseInfo): void {
    if (transport === this.successor) {
      // The planned reconnect failed; the old socket is still fine. Try again later, with backoff.
      this.successor = null;
      this.dropPending(transport);
      this.emitter.emit("error", info.error);
      this.scheduleSuccessor(fullJitterDelay(this.backoff, this.successorAttempt++, this.random));
      return;
    }
    if (transport !== this.socket) return;
    this.socket = null;
    this.dropPending(transport);
    this.timers.clearTimeout(this.stableTimer);
    this.timers.clearTimeout(this.successorTimer);
    this.emitter.emit("error", info.error);

    if (this.successor?.isOpen) {
      // The old socket hit its limit while its successor was subscribing: the successor takes over now.
      this.promoteSuccessor();
      return;
    }
    this.successor?.close(1000, "replaced");
    this.successor = null;

    if (!info.wasOpen && !this.refusalRenewalSpent) {
      // A browser cannot tell a 401 from an unreachable host; the token may have been refused,
      // so the next attempt brings a new one. Once per outage, not once per attempt.
      this.tokens.markRefused();
      this.refusalRenewalSpent = true;
    }
    this.attemptFailed(info.error, info.wasOpen);
  }

  /**
   * A socket attempt failed or a live socket dropped: schedule the next attempt
   * with full-jitter backoff. A stable connection that dropped goes to
   * `reconnecting` (its data is fresh, the first retry is within 0.5 s);
   * anything else starts polling while the socket is retried in the background.
   */
  private attemptFailed(error: PushClientError, droppedWhileLive: boolean): void {
    const wasStable = droppedWhileLive && this.attempt === 0;
    const delay = fullJitterDelay(this.backoff, this.attempt, this.random);
    this.attempt++;
    const next: ConnectionState = wasStable || !this.pollingEnabled ? "reconnecting" : "polling";
    if (next === "polling") this.poller.start();
    this.setState(next, { nextRetryAt: this.clock.now() + delay, lastError: error });
    this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.setState(this.machine.state, { lastError: error });
      void this.openSocket();
    }, delay);
  }

  private scheduleSuccessor(delayMs: number): void {
    this.timers.clearTimeout(this.successorTimer);
    this.successorTimer = this.timers.setTimeout(() => void this.openSuccessor(), delayMs);
  }

  /** The planned reconnect: open the new socket before the old one is cut, so no moment is without push. */
  private async openSuccessor(): Promise<void> {
    const current = this.socket;
    if (!current?.isOpen || this.successor) return;
    let token: SessionToken;
    try {
      token = await this.tokens.get();
    } catch (error) {
      if (this.socket !== current) return;
      this.emitter.emit("error", sessionFailure(error));
      this.scheduleSuccessor(fullJitterDelay(this.backoff, this.successorAttempt++, this.random));
      return;
    }
    if (this.socket !== current || !current.isOpen || this.successor) return;
    const transport = this.newTransport(token.token);
    if (transport instanceof WebSocketTransport) this.successor = transport;
    else this.emitter.emit("error", transport);
  }

  private promoteSuccessor(): void {
    const old = this.socket;
    const next = this.successor;
    if (!next) return;
    this.socket = next;
    this.successor = null;
    this.successorAttempt = 0;
    if (old) {
      this.dropPending(old);
      old.close(1000, "planned reconnect");
    }
    this.scheduleSuccessor(this.settings.maxConnectionAgeMs);
    this.emitter.emit("handover", { at: this.clock.now() });
  }

  private stopEverything(): void {
    this.generation++;
    this.run++;
    for (const timer of [this.reconnectTimer, this.stableTimer, this.successorTimer, ...this.runTimers]) {
      this.timers.clearTimeout(timer);
    }
    this.runTimers.clear();
    this.socket?.close(1000, "client closed");
    this.successor?.close(1000, "client closed");
    this.socket = null;
    this.successor = null;
    this.pending.clear();
    this.poller.stop();
  }

  // ---- online / offline ---------------------------------------------------------

  private wentOffline(): void {
    if (this.machine.state === "closed") return;
    // No network: every attempt would fail and count against the backoff. Stop and wait for `online`.
    this.stopEverything();
    this.setState("closed", { reason: "offline" });
  }

  private wentOnline(): void {
    const snapshot = this.machine.snapshot;
    if (snapshot.state !== "closed" || snapshot.reason !== "offline") return;
    this.attempt = 0;
    this.setState("connecting");
    void this.openSocket();
  }

  // ---- subscriptions -------------------------------------------------------------

  private openTransports(): WebSocketTransport[] {
    return [this.socket, this.successor].filter((t): t is WebSocketTransport => t !== null && t.isOpen);
  }

  private nextRequestId(): string {
    this.requestCounter++;
    return `r${this.requestCounter}`;
  }

  private sendSubscribe(transport: WebSocketTransport, topics: readonly string[]): void {
    for (let i = 0; i < topics.length; i += MAX_TOPICS_PER_REQUEST) {
      const chunk = topics.slice(i, i + MAX_TOPICS_PER_REQUEST);
      const id = this.nextRequestId();
      this.pending.set(id, { transport, topics: chunk });
      if (!transport.send({ action: "subscribe", id, topics: chunk })) this.pending.delete(id);
    }
  }

  private release(topics: readonly string[]): void {
    const removed: string[] = [];
    for (const topic of topics) {
      const holders = this.wanted.get(topic);
      if (holders === undefined) continue; // already removed (the server refused it)
      if (holders > 1) this.wanted.set(topic, holders - 1);
      else {
        this.wanted.delete(topic);
        removed.push(topic);
      }
    }
    if (removed.length === 0) return;
    for (const transport of this.openTransports()) {
      for (let i = 0; i < removed.length; i += MAX_TOPICS_PER_REQUEST) {
        transport.send({ action: "unsubscribe", id: this.nextRequestId(), topics: removed.slice(i, i + MAX_TOPICS_PER_REQUEST) });
      }
    }
  }

  private hasPending(transport: WebSocketTransport): boolean {
    for (const request of this.pending.values()) if (request.transport === transport) return true;
    return false;
  }

  private dropPending(transport: WebSocketTransport): void {
    for (const [id, request] of this.pending) if (request.transport === transport) this.pending.delete(id);
  }

  private acknowledged(transport: WebSocketTransport, frame: SubscribedFrame): void {
    this.pending.delete(frame.id);
    this.emitter.emit("subscribed", { requestId: frame.id, topics: frame.topics });
    for (const { topic, seq, snapshotUrl } of frame.topics) {
      this.urls.set(topic, snapshotUrl);
      // The server is ahead of us (we were away, or subscribed after the last push): catch up from S3.
      if (seq > this.topicStores.lastSeq(topic)) void this.resync(topic, snapshotUrl, seq, 0);
    }
    if (transport === this.successor && !this.hasPending(transport)) this.promoteSuccessor();
  }

  private serverError(transport: WebSocketTransport, frame: ErrorFrame): void {
    if (frame.code === "RATE_LIMITED" && frame.message.startsWith(POLICY_VIOLATION_PREFIX)) {
      // The server closes this socket next for flooding it: come back at the backoff's cap, not within 0.5 s.
      this.attempt = Math.max(this.attempt, attemptAtCap(this.backoff));
    }
    const request = frame.id === undefined ? undefined : this.pending.get(frame.id);
    const refusedTopic = request && request.topics.length === 1 ? request.topics[0] : undefined;
    const error: PushClientError = {
      origin: "server",
      code: frame.code,
      message: frame.message,
      ...(frame.id === undefined ? {} : { requestId: frame.id }),
      ...(refusedTopic === undefined ? {} : { topic: refusedTopic }),
    };
    if (!request || frame.id === undefined) {
      this.emitter.emit("error", error);
      return;
    }
    this.pending.delete(frame.id);

    if (frame.code === "FORBIDDEN" || frame.code === "INVALID_TOPIC") {
      if (refusedTopic !== undefined) {
        // Asking again will get the same answer: stop holding the topic and say so on its store.
        this.wanted.delete(refusedTopic);
        this.topicStores.fail(refusedTopic, error);
      } else {
        // The error does not say which topic was refused: ask for each alone to find out.
        for (const topic of request.topics) if (this.wanted.has(topic)) this.sendSubscribe(transport, [topic]);
      }
    } else if (frame.code === "RATE_LIMITED" || frame.code === "INTERNAL") {
      // Transient: ask again after a jittered pause, if this socket is still the one.
      const timer = this.timers.setTimeout(() => {
        this.runTimers.delete(timer);
        const still = request.topics.filter((topic) => this.wanted.has(topic));
        if (still.length > 0 && transport.isOpen && (transport === this.socket || transport === this.successor)) {
          this.sendSubscribe(transport, still);
        }
      }, fullJitterDelay(this.backoff, 3, this.random));
      this.runTimers.add(timer);
    }
    // Told after the topic store is updated, so a listener reading the store sees the refusal.
    this.emitter.emit("error", error);
    if (transport === this.successor && !this.hasPending(transport)) this.promoteSuccessor();
  }

  // ---- data ------------------------------------------------------------------------

  private apply(frame: MessageFrame, source: UpdateSource): void {
    const outcome = this.topicStores.apply(frame, source);
    if (outcome.applied) this.emitter.emit("message", { frame, source });
    else this.emitter.emit("stale", { frame, source, lastSeq: outcome.lastSeq });
  }

  /**
   * Fetch the topic's snapshot and apply it if newer. The snapshot can lag the
   * ack's seq by a moment (the fan-out writes S3 after the source write that
   * bumped seq), so it is retried a few times until it reaches `targetSeq`.
   */
  private async resync(topic: string, url: string, targetSeq: number, retry: number): Promise<void> {
    const run = this.run;
    const result = await this.fetcher.get(topic, url);
    if (run !== this.run) return;
    switch (result.status) {
      case "fetched":
        this.apply(result.frame, "snapshot");
        break;
      case "expired":
        this.urls.forget(topic);
        break;
      case "failed":
        this.emitter.emit("error", result.error);
        break;
      case "unchanged":
      case "missing":
        break;
    }
    if (this.topicStores.lastSeq(topic) >= targetSeq || retry >= RESYNC_RETRIES || !this.wanted.has(topic)) return;
    const timer = this.timers.setTimeout(() => {
      this.runTimers.delete(timer);
      void (async () => {
        const { urls, error } = await this.urls.resolve([topic]);
        if (run !== this.run) return;
        if (error) this.emitter.emit("error", error);
        const next = urls.get(topic);
        if (next !== undefined) await this.resync(topic, next, targetSeq, retry + 1);
      })();
    }, RESYNC_RETRY_MS * 2 ** retry);
    this.runTimers.add(timer);
  }
}

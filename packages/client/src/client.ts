/**
 * The push client's public face: its options, events and API, and the wiring
 * of its parts. The connection lifecycle (connection.ts), the subscription
 * ledger (subscriptionLedger.ts), resync (resync.ts) and the snapshot poller
 * (snapshotPoller.ts) each own one job; this file routes between them: frames
 * to the ledger and the topic stores, acks to resync, refusals to the stores.
 */
import { POLICY_VIOLATION_PREFIX, type ErrorFrame, type MessageFrame, type ServerFrame, type SubscribedFrame } from "@pushgate/core/wire";
import { RECONNECT_BACKOFF } from "./backoff";
import {
  connectionSettings,
  DEFAULTS,
  requiredPlatform,
  type PushClient,
  type PushClientEvents,
  type PushClientOptions,
} from "./clientApi";
import { Connection } from "./connection";
import type { ConnectionSnapshot, ConnectionState } from "./connectionState";
import { browserOnlineSource, browserVisibilitySource, platformTimers, systemClock, type FetchLike } from "./environment";
import type { PushClientError } from "./errors";
import { TypedEmitter } from "./events";
import type { ReadableStore } from "./externalStore";
import { FreshnessTracker, type Freshness } from "./freshness";
import { Resync } from "./resync";
import { fetchWithSession, sessionEndpointTokenProvider, TokenKeeper, type SessionToken } from "./session";
import { SnapshotFetcher } from "./snapshotFetcher";
import { DEFAULT_POLLING, SnapshotPoller } from "./snapshotPoller";
import { SnapshotUrls } from "./snapshotUrls";
import { SubscriptionLedger } from "./subscriptionLedger";
import { TopicStores, type KindOfTopic, type TopicSnapshot, type UpdateSource } from "./topicStore";
import type { WebSocketTransport } from "./websocketTransport";

export { DEFAULTS } from "./clientApi";
export type { AppliedMessage, PushClient, PushClientEvents, PushClientOptions, StaleMessage } from "./clientApi";

export function createPushClient(options: PushClientOptions): PushClient {
  return new PushClientImpl(options);
}

class PushClientImpl implements PushClient {
  private readonly emitter = new TypedEmitter<PushClientEvents>();
  private readonly topicStores = new TopicStores();
  /** One stable store handle per topic name (React compares stores by identity). */
  private readonly topicHandles = new Map<string, ReadableStore<TopicSnapshot>>();
  private readonly tokens: TokenKeeper;
  private readonly urls: SnapshotUrls;
  private readonly ledger: SubscriptionLedger;
  private readonly resync: Resync;
  private readonly link: Connection;
  /** The snapshot fallback while no socket is live; undefined when polling is off. */
  private readonly poller: SnapshotPoller | undefined;
  /** The number of the last request id handed out (subscribe, unsubscribe, ping share one sequence). */
  private lastRequestNumber = 0;
  private readonly fetchImpl: FetchLike;

  private readonly freshnessTracker: FreshnessTracker;

  readonly connection: ReadableStore<ConnectionSnapshot>;
  readonly freshness: ReadableStore<Freshness>;

  constructor(options: PushClientOptions) {
    const { WebSocket, fetch: fetchImpl } = requiredPlatform(options);
    this.fetchImpl = fetchImpl;

    const timers = options.timers ?? platformTimers;
    const clock = options.clock ?? systemClock;
    const random = options.random ?? Math.random;
    const backoff = { ...RECONNECT_BACKOFF, ...options.reconnect };
    const nextRequestId = () => `r${++this.lastRequestNumber}`;
    this.freshnessTracker = new FreshnessTracker(clock);
    this.freshness = this.freshnessTracker.readable;

    this.tokens = new TokenKeeper(
      options.tokenProvider ?? sessionEndpointTokenProvider({ httpApiUrl: options.httpApiUrl, fetch: fetchImpl, clock }),
      clock,
      options.tokenRefreshMarginMs ?? DEFAULTS.tokenRefreshMarginMs,
      (token, reason) => this.emitter.emit("token", { token, reason }),
    );
    this.urls = new SnapshotUrls({
      httpApiUrl: options.httpApiUrl,
      fetch: fetchImpl,
      tokens: this.tokens,
      refused: (topic, error) => this.ledger.refuse([topic], error),
    });
    const fetcher = new SnapshotFetcher(fetchImpl);
    const onError = (error: PushClientError) => this.emitter.emit("error", error);
    this.poller =
      options.polling === false
        ? undefined
        : new SnapshotPoller({
            fetcher,
            urls: this.urls,
            timers,
            random,
            options: { ...DEFAULT_POLLING, ...options.polling },
            topics: () => this.ledger.topics(),
            onSnapshot: (frame) => this.apply(frame, "snapshot"),
            onRoundSucceeded: () => this.freshnessTracker.confirm(),
            onError,
          });
    this.ledger = new SubscriptionLedger({
      timers,
      random,
      backoff,
      nextRequestId,
      isInUse: (t) => this.link.isInUse(t),
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      // The store is updated before the app hears of it, so a listener reading the store sees why.
      refusedTopics: (topics, error) => this.topicsFailed(topics, error),
      delayedTopics: (topics, error) => this.topicsFailed(topics, error),
    });
    this.resync = new Resync({
      fetcher,
      urls: this.urls,
      timers,
      lastAppliedSeq: (topic) => this.topicStores.lastSeq(topic),
      isHeld: (topic) => this.ledger.isHeld(topic),
      apply: (frame) => this.apply(frame, "snapshot"),
      onError,
    });
    this.link = new Connection(
      {
        WebSocket,
        websocketUrl: options.websocketUrl,
        timers,
        clock,
        random,
        online: options.online === null ? undefined : (options.online ?? browserOnlineSource()),
        visibility: options.visibility === null ? undefined : (options.visibility ?? browserVisibilitySource()),
        backoff,
        settings: connectionSettings(options),
        tokens: this.tokens,
        nextRequestId,
        poller: this.poller,
      },
      {
        opened: (transport) => this.ledger.subscribeOn(transport, this.ledger.topics()),
        frame: (transport, frame) => {
          // A frame on a socket in use proves it alive: what it carries (or resyncs) is current.
          if (this.link.state === "live") this.freshnessTracker.confirm();
          this.received(transport, frame);
        },
        badFrame: (transport, error) => {
          onError(error);
          this.ledger.unreadableAnswer(transport, error);
        },
        abandoned: (transport) => this.ledger.dropPending(transport),
        awaitingAnswers: (transport) => this.ledger.hasPending(transport),
        stopped: () => {
          this.resync.stop();
          this.ledger.stop();
        },
        state: (change) => this.emitter.emit("state", change),
        error: onError,
        pong: (roundTripMs) => {
          if (this.link.state === "live") this.freshnessTracker.confirm();
          this.emitter.emit("pong", { roundTripMs });
        },
        handover: (at) => this.emitter.emit("handover", { at }),
      },
    );
    this.connection = this.link.store;
    if (options.topics && options.topics.length > 0) this.subscribe(options.topics);
  }

  // ---- public API -----------------------------------------------------------

  getState(): ConnectionState {
    return this.link.state;
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

  fetchWithSession(url: string, init?: RequestInit): Promise<Response> {
    return fetchWithSession(this.tokens, this.fetchImpl, url, init);
  }

  connect(): void {
    this.link.connect();
  }

  close(): void {
    this.link.close();
  }

  reconnectNow(): void {
    this.link.reconnectNow();
  }

  subscribe(topics: string | readonly string[]): () => void {
    const list = typeof topics === "string" ? [topics] : [...topics];
    const added = this.ledger.hold(list);
    for (const topic of added) this.topicStores.clearError(topic);
    if (added.length > 0) {
      for (const transport of this.link.openTransports()) this.ledger.subscribeOn(transport, added);
      this.poller?.pollNow(added);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Deferred: a release followed at once by a new hold (a React remount) must not
      // cost an unsubscribe and a subscribe round trip.
      queueMicrotask(() => {
        const removed = this.ledger.release(list);
        if (removed.length === 0) return;
        for (const transport of this.link.openTransports()) this.ledger.unsubscribeOn(transport, removed);
      });
    };
  }

  // ---- frames from a socket in use ----------------------------------------------

  private received(transport: WebSocketTransport, frame: ServerFrame): void {
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
        this.ledger.unsubscribeEnded(frame.id);
        return;
      case "pong":
        return;
    }
  }

  private acknowledged(transport: WebSocketTransport, frame: SubscribedFrame): void {
    const subscribed = new Set(this.ledger.acknowledged(frame));
    for (const topic of subscribed) this.topicStores.clearError(topic);
    this.emitter.emit("subscribed", { requestId: frame.id, topics: frame.topics });
    for (const { topic, seq, snapshotUrl } of frame.topics) {
      this.urls.set(topic, snapshotUrl);
      if (subscribed.has(topic)) this.resync.catchUp(topic, snapshotUrl, seq);
    }
    this.link.promoteWhenReady(transport);
  }

  private serverError(transport: WebSocketTransport, frame: ErrorFrame): void {
    if (frame.code === "RATE_LIMITED" && frame.message.startsWith(POLICY_VIOLATION_PREFIX)) this.link.backOffToCap();
    const { error, answeredRequest } = this.ledger.refused(frame);
    // A refusal of a request was told per topic already (refusedTopics / delayedTopics).
    if (!answeredRequest) this.emitter.emit("error", error);
    else this.link.promoteWhenReady(transport);
  }

  /** Each topic's store shows the error, then the app hears of it once, with the topic when there is one. */
  private topicsFailed(topics: string[], error: PushClientError): void {
    for (const topic of topics) this.topicStores.fail(topic, { ...error, topic });
    this.emitter.emit("error", topics.length === 1 ? { ...error, topic: topics[0] } : error);
  }

  private apply(frame: MessageFrame, source: UpdateSource): void {
    const outcome = this.topicStores.apply(frame, source);
    if (outcome.applied) this.emitter.emit("message", { frame, source });
    else this.emitter.emit("stale", { frame, source, lastSeq: outcome.lastSeq });
  }
}

/**
 * The subscription ledger: which topics the app holds (reference-counted) and
 * which subscribe requests are in flight on which socket. It owns the
 * subscribe/unsubscribe frames (split at the protocol's topic cap), and what
 * a refused or throttled subscribe means: a refused topic stops being held, a
 * throttled one is asked for again after a jittered pause.
 */
import { MAX_TOPICS_PER_REQUEST, type ErrorFrame, type SubscribedFrame } from "@pushgate/core/wire";
import { fullJitterDelay, type BackoffOptions } from "./backoff";
import type { RandomSource, TimerHandle, Timers } from "./environment";
import type { PushClientError } from "./errors";
import type { WebSocketTransport } from "./websocketTransport";

interface PendingSubscribe {
  transport: WebSocketTransport;
  topics: string[];
}

export interface SubscriptionLedgerDeps {
  timers: Timers;
  random: RandomSource;
  backoff: BackoffOptions;
  nextRequestId: () => string;
  /** Whether the socket is still one the client uses (the current one or its planned successor). */
  isInUse: (transport: WebSocketTransport) => boolean;
}

/** How the ledger took an error frame. */
export interface RefusalOutcome {
  error: PushClientError;
  /** Whether the frame answered one of our subscribe requests. */
  answeredRequest: boolean;
  /** The one topic the server refused for good (no longer held), if the frame says which. */
  refusedTopic: string | undefined;
}

/** Which throttled subscribe to retry after how long: the backoff step of a busy server. */
const THROTTLED_RETRY_STEP = 3;

export class SubscriptionLedger {
  /** Topic -> holders. A topic is subscribed on the server while it has one. */
  private readonly holders = new Map<string, number>();
  /** Request id -> the subscribe it answers, until the server acks or refuses it. */
  private readonly pending = new Map<string, PendingSubscribe>();
  /** Throttled subscribes waiting to be sent again; they die with `stop()`. */
  private readonly retryTimers = new Set<TimerHandle>();

  constructor(private readonly deps: SubscriptionLedgerDeps) {}

  topics(): string[] {
    return [...this.holders.keys()];
  }

  isHeld(topic: string): boolean {
    return this.holders.has(topic);
  }

  /** Add one holder per topic; returns the topics that were not held before. */
  hold(topics: readonly string[]): string[] {
    const added: string[] = [];
    for (const topic of topics) {
      const count = this.holders.get(topic) ?? 0;
      this.holders.set(topic, count + 1);
      if (count === 0) added.push(topic);
    }
    return added;
  }

  /** Remove one holder per topic; returns the topics nobody holds any more. */
  release(topics: readonly string[]): string[] {
    const removed: string[] = [];
    for (const topic of topics) {
      const count = this.holders.get(topic);
      if (count === undefined) continue; // already removed (the server refused it)
      if (count > 1) this.holders.set(topic, count - 1);
      else {
        this.holders.delete(topic);
        removed.push(topic);
      }
    }
    return removed;
  }

  subscribeOn(transport: WebSocketTransport, topics: readonly string[]): void {
    for (let i = 0; i < topics.length; i += MAX_TOPICS_PER_REQUEST) {
      const chunk = topics.slice(i, i + MAX_TOPICS_PER_REQUEST);
      const id = this.deps.nextRequestId();
      this.pending.set(id, { transport, topics: chunk });
      if (!transport.send({ action: "subscribe", id, topics: chunk })) this.pending.delete(id);
    }
  }

  unsubscribeOn(transport: WebSocketTransport, topics: readonly string[]): void {
    for (let i = 0; i < topics.length; i += MAX_TOPICS_PER_REQUEST) {
      transport.send({ action: "unsubscribe", id: this.deps.nextRequestId(), topics: topics.slice(i, i + MAX_TOPICS_PER_REQUEST) });
    }
  }

  hasPending(transport: WebSocketTransport): boolean {
    for (const request of this.pending.values()) if (request.transport === transport) return true;
    return false;
  }

  /** The socket is gone: its requests will never be answered. */
  dropPending(transport: WebSocketTransport): void {
    for (const [id, request] of this.pending) if (request.transport === transport) this.pending.delete(id);
  }

  acknowledged(frame: SubscribedFrame): void {
    this.pending.delete(frame.id);
  }

  /**
   * An error frame from the server. For an answer to one of our subscribes:
   * a refusal (FORBIDDEN, INVALID_TOPIC) of one topic stops holding it, of
   * several asks for each alone to learn which; a transient one (RATE_LIMITED,
   * INTERNAL) is asked again later, if the socket is still in use.
   */
  refused(transport: WebSocketTransport, frame: ErrorFrame): RefusalOutcome {
    const request = frame.id === undefined ? undefined : this.pending.get(frame.id);
    const refusedTopic = request && request.topics.length === 1 ? request.topics[0] : undefined;
    const error: PushClientError = {
      origin: "server",
      code: frame.code,
      message: frame.message,
      ...(frame.id === undefined ? {} : { requestId: frame.id }),
      ...(refusedTopic === undefined ? {} : { topic: refusedTopic }),
    };
    if (!request || frame.id === undefined) return { error, answeredRequest: false, refusedTopic: undefined };
    this.pending.delete(frame.id);

    if (frame.code === "FORBIDDEN" || frame.code === "INVALID_TOPIC") {
      // Asking again will get the same answer: stop holding the topic (the caller says so on its store).
      if (refusedTopic !== undefined) this.holders.delete(refusedTopic);
      else for (const topic of request.topics) if (this.holders.has(topic)) this.subscribeOn(transport, [topic]);
      return { error, answeredRequest: true, refusedTopic };
    }
    if (frame.code === "RATE_LIMITED" || frame.code === "INTERNAL") this.retryLater(transport, request.topics);
    return { error, answeredRequest: true, refusedTopic: undefined };
  }

  /** Everything stops: forget requests in flight and throttled retries; the held topics stay. */
  stop(): void {
    for (const timer of this.retryTimers) this.deps.timers.clearTimeout(timer);
    this.retryTimers.clear();
    this.pending.clear();
  }

  private retryLater(transport: WebSocketTransport, topics: readonly string[]): void {
    const timer = this.deps.timers.setTimeout(() => {
      this.retryTimers.delete(timer);
      const still = topics.filter((topic) => this.holders.has(topic));
      if (still.length > 0 && transport.isOpen && this.deps.isInUse(transport)) this.subscribeOn(transport, still);
    }, fullJitterDelay(this.deps.backoff, THROTTLED_RETRY_STEP, this.deps.random));
    this.retryTimers.add(timer);
  }
}

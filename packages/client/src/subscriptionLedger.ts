/**
 * The subscription ledger: which topics the app holds (reference-counted) and
 * which subscribe requests are in flight on which socket. It owns the
 * subscribe/unsubscribe frames (split at the protocol's topic cap) and how
 * each request ends: acknowledged (its refused topics stop being held), refused
 * as a whole (every topic of it stops being held: never re-sent one by one),
 * or failed (throttled, INTERNAL, no answer by its deadline, or a frame that is
 * not protocol v1 while it waited): then it is sent again with backoff, and its
 * topics' stores carry the error meanwhile. A held topic is never "pending"
 * without an answer on its way or an error on its store.
 *
 * Order per topic: a subscribe is not sent while an unsubscribe of the same
 * topic on the same socket is unanswered (API Gateway runs the two frames as
 * independent invocations, which may land in either order; applied the wrong
 * way round, the fan holds the topic, was acknowledged, and has no
 * subscription stored). It goes out when that unsubscribe is answered, fails,
 * passes its deadline, or the socket is dropped (the next one asks afresh).
 */
import { MAX_TOPICS_PER_REQUEST, type ErrorCode, type ErrorFrame, type SubscribedFrame } from "@pushgate/core/wire";
import { fullJitterDelay, type BackoffOptions } from "./backoff";
import type { RandomSource, TimerHandle, Timers } from "./environment";
import { clientError, type PushClientError } from "./errors";
import type { WebSocketTransport } from "./websocketTransport";

interface PendingSubscribe {
  transport: WebSocketTransport;
  topics: string[];
  /** Sends of these topics so far, minus one: the backoff step of the next. */
  attempt: number;
  deadline: TimerHandle;
}

export interface SubscriptionLedgerDeps {
  timers: Timers;
  random: RandomSource;
  backoff: BackoffOptions;
  nextRequestId: () => string;
  /** Whether the socket is still one the client uses (the current one or its planned successor). */
  isInUse: (transport: WebSocketTransport) => boolean;
  /** How long a request may go unanswered before it is sent again. */
  requestTimeoutMs: number;
  /** The server refused these topics for good: they are no longer held; the store shows why. */
  refusedTopics: (topics: string[], error: PushClientError) => void;
  /** A request for these topics failed and is sent again later; the store shows why meanwhile. */
  delayedTopics: (topics: string[], error: PushClientError) => void;
}

interface PendingUnsubscribe {
  transport: WebSocketTransport;
  topics: string[];
  deadline: TimerHandle;
}

/** How the ledger took an error frame. */
export interface RefusalOutcome {
  error: PushClientError;
  /** Whether the frame answered one of our subscribe requests. */
  answeredRequest: boolean;
}

/** Codes that will answer the same however often the request is sent: its topics are refused. */
const FINAL_CODES: readonly ErrorCode[] = ["FORBIDDEN", "INVALID_TOPIC", "BAD_REQUEST", "TOO_LARGE", "UNKNOWN_ACTION"];

/** The backoff step of the first resend of a failed subscribe: a busy server, not a lost socket. */
const FIRST_RETRY_STEP = 3;

export class SubscriptionLedger {
  /** Topic -> holders. A topic is subscribed on the server while it has one. */
  private readonly holders = new Map<string, number>();
  /** Request id -> the subscribe it answers, until the server acks or refuses it, or its deadline passes. */
  private readonly pending = new Map<string, PendingSubscribe>();
  /** Failed subscribes waiting to be sent again; they die with `stop()`. */
  private readonly retryTimers = new Set<TimerHandle>();
  /** Request id -> an unsubscribe not answered yet. */
  private readonly unsubscribing = new Map<string, PendingUnsubscribe>();
  /** Topics to subscribe on a socket once its unsubscribe of them is answered. */
  private readonly deferred = new Map<WebSocketTransport, Set<string>>();

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

  /** The server refused these topics outside a subscribe (GET /snapshots): stop holding them. */
  refuse(topics: readonly string[], error: PushClientError): void {
    const held = topics.filter((topic) => this.holders.delete(topic));
    if (held.length > 0) this.deps.refusedTopics(held, error);
  }

  subscribeOn(transport: WebSocketTransport, requested: readonly string[], attempt = 0): void {
    const blocked = this.beingUnsubscribed(transport);
    const topics = requested.filter((topic) => !blocked.has(topic));
    for (const topic of requested) {
      if (!blocked.has(topic)) continue;
      const later = this.deferred.get(transport) ?? new Set<string>();
      later.add(topic);
      this.deferred.set(transport, later);
    }
    for (let i = 0; i < topics.length; i += MAX_TOPICS_PER_REQUEST) {
      const chunk = topics.slice(i, i + MAX_TOPICS_PER_REQUEST);
      const id = this.deps.nextRequestId();
      const deadline = this.deps.timers.setTimeout(() => this.missedDeadline(id), this.deps.requestTimeoutMs);
      this.pending.set(id, { transport, topics: chunk, attempt, deadline });
      if (!transport.send({ action: "subscribe", id, topics: chunk })) this.forget(id);
    }
  }

  unsubscribeOn(transport: WebSocketTransport, topics: readonly string[]): void {
    const later = this.deferred.get(transport);
    for (const topic of topics) later?.delete(topic);
    for (let i = 0; i < topics.length; i += MAX_TOPICS_PER_REQUEST) {
      const chunk = topics.slice(i, i + MAX_TOPICS_PER_REQUEST);
      const id = this.deps.nextRequestId();
      const deadline = this.deps.timers.setTimeout(() => this.unsubscribeEnded(id), this.deps.requestTimeoutMs);
      this.unsubscribing.set(id, { transport, topics: chunk, deadline });
      if (!transport.send({ action: "unsubscribe", id, topics: chunk })) this.unsubscribeEnded(id);
    }
  }

  /**
   * An unsubscribe ended (answered, refused, unanswered by its deadline):
   * the subscribes held back behind it go out, for the topics still held.
   */
  unsubscribeEnded(id: string): void {
    const request = this.unsubscribing.get(id);
    if (!request) return;
    this.deps.timers.clearTimeout(request.deadline);
    this.unsubscribing.delete(id);
    const later = this.deferred.get(request.transport);
    if (!later) return;
    const blocked = this.beingUnsubscribed(request.transport);
    const ready = [...later].filter((topic) => !blocked.has(topic));
    for (const topic of ready) later.delete(topic);
    if (later.size === 0) this.deferred.delete(request.transport);
    const held = ready.filter((topic) => this.holders.has(topic));
    if (held.length > 0 && request.transport.isOpen && this.deps.isInUse(request.transport)) this.subscribeOn(request.transport, held);
  }

  private beingUnsubscribed(transport: WebSocketTransport): Set<string> {
    const topics = new Set<string>();
    for (const request of this.unsubscribing.values())
      if (request.transport === transport) for (const topic of request.topics) topics.add(topic);
    return topics;
  }

  hasPending(transport: WebSocketTransport): boolean {
    for (const request of this.pending.values()) if (request.transport === transport) return true;
    return false;
  }

  /** The socket is gone: its requests will never be answered (the next socket asks for every held topic). */
  dropPending(transport: WebSocketTransport): void {
    for (const [id, request] of this.pending) if (request.transport === transport) this.forget(id);
    for (const [id, request] of this.unsubscribing) {
      if (request.transport !== transport) continue;
      this.deps.timers.clearTimeout(request.deadline);
      this.unsubscribing.delete(id);
    }
    this.deferred.delete(transport);
  }

  /** An ack: its refused topics stop being held. Answers the topics it subscribed that are still held. */
  acknowledged(frame: SubscribedFrame): string[] {
    this.forget(frame.id);
    const byCode = new Map<string, { error: PushClientError; topics: string[] }>();
    for (const { topic, code, message } of frame.refused ?? []) {
      if (!this.holders.delete(topic)) continue;
      const key = `${code}\u0000${message}`;
      const group = byCode.get(key) ?? { error: { origin: "server", code: code as ErrorCode, message, requestId: frame.id }, topics: [] };
      group.topics.push(topic);
      byCode.set(key, group);
    }
    for (const { error, topics } of byCode.values()) this.deps.refusedTopics(topics, error);
    return frame.topics.map(({ topic }) => topic).filter((topic) => this.holders.has(topic));
  }

  /**
   * An error frame from the server. For an answer to one of our subscribes:
   * a final refusal (the request or its topics are wrong) stops holding every
   * topic of it; a transient one (RATE_LIMITED, INTERNAL) sends it again later.
   */
  refused(frame: ErrorFrame): RefusalOutcome {
    if (frame.id !== undefined && this.unsubscribing.has(frame.id)) {
      this.unsubscribeEnded(frame.id);
      return { error: { origin: "server", code: frame.code, message: frame.message, requestId: frame.id }, answeredRequest: false };
    }
    const request = frame.id === undefined ? undefined : this.pending.get(frame.id);
    const error: PushClientError = {
      origin: "server",
      code: frame.code,
      message: frame.message,
      ...(frame.id === undefined ? {} : { requestId: frame.id }),
      ...(request?.topics.length === 1 ? { topic: request.topics[0] } : {}),
    };
    if (!request || frame.id === undefined) return { error, answeredRequest: false };
    this.forget(frame.id);
    if (FINAL_CODES.includes(frame.code)) this.refuse(request.topics, error);
    else this.retryLater(request, error);
    return { error, answeredRequest: true };
  }

  /**
   * A frame that is not protocol v1 arrived (API Gateway's own
   * `{"message":"Internal server error"}` when a route fails or times out):
   * it answers one of the requests waiting on that socket, we cannot tell
   * which, so each is sent again later.
   */
  unreadableAnswer(transport: WebSocketTransport, error: PushClientError): void {
    for (const [id, request] of this.unsubscribing) if (request.transport === transport) this.unsubscribeEnded(id);
    for (const [id, request] of this.pending) {
      if (request.transport !== transport) continue;
      this.forget(id);
      this.retryLater(request, error);
    }
  }

  /** Everything stops: forget requests in flight and scheduled resends; the held topics stay. */
  stop(): void {
    for (const timer of this.retryTimers) this.deps.timers.clearTimeout(timer);
    this.retryTimers.clear();
    for (const id of [...this.pending.keys()]) this.forget(id);
    for (const request of this.unsubscribing.values()) this.deps.timers.clearTimeout(request.deadline);
    this.unsubscribing.clear();
    this.deferred.clear();
  }

  private forget(id: string): void {
    const request = this.pending.get(id);
    if (!request) return;
    this.deps.timers.clearTimeout(request.deadline);
    this.pending.delete(id);
  }

  private missedDeadline(id: string): void {
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    const error = clientError(
      "REQUEST_TIMEOUT",
      `no answer to subscribe ${id} within ${this.deps.requestTimeoutMs} ms; it is sent again with backoff`,
      { requestId: id },
    );
    this.retryLater(request, error);
  }

  private retryLater(request: PendingSubscribe, error: PushClientError): void {
    const { transport, attempt } = request;
    const topics = request.topics.filter((topic) => this.holders.has(topic));
    if (topics.length === 0) return;
    this.deps.delayedTopics(topics, error);
    const timer = this.deps.timers.setTimeout(
      () => {
        this.retryTimers.delete(timer);
        const still = topics.filter((topic) => this.holders.has(topic));
        // A socket no longer in use resubscribes every held topic when its successor opens.
        if (still.length > 0 && transport.isOpen && this.deps.isInUse(transport)) this.subscribeOn(transport, still, attempt + 1);
      },
      fullJitterDelay(this.deps.backoff, FIRST_RETRY_STEP + attempt, this.deps.random),
    );
    this.retryTimers.add(timer);
  }
}

/**
 * The connection lifecycle: which socket is the connection, when to open the
 * next one, and the connection state the app sees. It owns the token fetch
 * before each attempt, full-jitter backoff between attempts, the stable-after
 * timer that resets it, the planned successor socket opened before API
 * Gateway's 2-hour limit, the online/offline pause, the ping cadence as the
 * page is shown or hidden (and the check at once when it comes back), and
 * running the snapshot poller whenever no socket is live. What is said on
 * a socket (subscriptions, data) is the client's business, through the hooks.
 */
import type { ServerFrame } from "@pushgate/core/wire";
import { attemptAtCap, fullJitterDelay, type BackoffOptions } from "./backoff";
import {
  ConnectionStateMachine,
  type ClosedReason,
  type ConnectionSnapshot,
  type ConnectionState,
  type StateChange,
} from "./connectionState";
import type {
  Clock,
  OnlineSource,
  RandomSource,
  TimerHandle,
  Timers,
  VisibilityEvent,
  VisibilitySource,
  WebSocketConstructor,
} from "./environment";
import { clientError, describeCause, type PushClientError } from "./errors";
import type { ReadableStore } from "./externalStore";
import { sessionFailure, type SessionToken, type TokenKeeper } from "./session";
import { WebSocketTransport, type CloseInfo, type WebSocketTransportEvents } from "./websocketTransport";

export interface ConnectionSettings {
  stableAfterMs: number;
  connectTimeoutMs: number;
  /** Ping a silent socket this often while the page is visible. */
  pingIntervalMs: number;
  /** ...and this often while it is hidden (also the keep-alive under API Gateway's idle timeout). */
  hiddenPingIntervalMs: number;
  pongTimeoutMs: number;
  maxConnectionAgeMs: number;
}

export interface ConnectionDeps {
  WebSocket: WebSocketConstructor;
  websocketUrl: string;
  timers: Timers;
  clock: Clock;
  random: RandomSource;
  online: OnlineSource | undefined;
  /** Undefined outside a browser: the page counts as always visible. */
  visibility: VisibilitySource | undefined;
  backoff: BackoffOptions;
  settings: ConnectionSettings;
  tokens: TokenKeeper;
  nextRequestId: () => string;
  /** The fallback whenever no socket is live (connecting too); undefined when polling is off. */
  poller: { start(): void; startSoon(): void; stop(): void } | undefined;
}

/** What the client does with a connection's sockets. */
export interface ConnectionHooks {
  /** A socket (the connection or its successor) opened: say on it what it must know. */
  opened(transport: WebSocketTransport): void;
  /** A frame from a socket in use. */
  frame(transport: WebSocketTransport, frame: ServerFrame): void;
  /** A frame from a socket in use that is not protocol v1 (dropped; it may have been a request's answer). */
  badFrame(transport: WebSocketTransport, error: PushClientError): void;
  /** A socket stopped being used: requests on it will not be answered. */
  abandoned(transport: WebSocketTransport): void;
  /** Whether the socket still awaits answers before it can take over. */
  awaitingAnswers(transport: WebSocketTransport): boolean;
  /** Everything stopped (close, offline): drop what belongs to the sockets' run. */
  stopped(): void;
  state(change: StateChange): void;
  error(error: PushClientError): void;
  pong(roundTripMs: number): void;
  handover(at: number): void;
}

export class Connection {
  private readonly machine: ConnectionStateMachine;
  /** The socket that is (or is becoming) the connection. */
  private socket: WebSocketTransport | null = null;
  /** A planned reconnect's new socket, while it subscribes and before it replaces `socket`. */
  private successor: WebSocketTransport | null = null;
  /**
   * Bumped when a socket attempt starts and when everything stops: an attempt
   * still awaiting its token compares it and gives up if superseded.
   */
  private socketAttemptId = 0;
  /** Failed attempts since the socket was last stable; the backoff step, shown to the app as `attempt`. */
  private failedAttempts = 0;
  /** Failed successor attempts since the last handover; the successor's own backoff step. */
  private failedSuccessorAttempts = 0;
  /** The handshake-refused token renewal is done once per outage, not once per attempt. */
  private refusalRenewalSpent = false;
  private reconnectTimer: TimerHandle | undefined;
  /** Whether `reconnectTimer` is armed: a retry waits, and "Retry now" or the page coming back may run it early. */
  private retryWaiting = false;
  private stableTimer: TimerHandle | undefined;
  private successorTimer: TimerHandle | undefined;
  private stopListeningOnline: (() => void) | undefined;
  private stopListeningVisibility: (() => void) | undefined;

  constructor(
    private readonly deps: ConnectionDeps,
    private readonly hooks: ConnectionHooks,
  ) {
    this.machine = new ConnectionStateMachine(deps.clock, (change) => hooks.state(change));
  }

  get store(): ReadableStore<ConnectionSnapshot> {
    return this.machine.store;
  }

  get state(): ConnectionState {
    return this.machine.state;
  }

  /** The sockets a subscribe or unsubscribe goes out on now. */
  openTransports(): WebSocketTransport[] {
    return [this.socket, this.successor].filter((t): t is WebSocketTransport => t?.isOpen === true);
  }

  isInUse(transport: WebSocketTransport): boolean {
    return transport === this.socket || transport === this.successor;
  }

  connect(): void {
    if (this.machine.state !== "closed") return;
    const online = this.deps.online;
    if (online && !this.stopListeningOnline) {
      this.stopListeningOnline = online.subscribe((isOnline) => (isOnline ? this.wentOnline() : this.wentOffline()));
    }
    const visibility = this.deps.visibility;
    if (visibility && !this.stopListeningVisibility) {
      this.stopListeningVisibility = visibility.subscribe((event) => this.visibilityChanged(event));
    }
    this.failedAttempts = 0;
    if (online && !online.isOnline()) {
      this.setState("closed", { reason: "offline" });
      return;
    }
    this.startAttempting();
  }

  close(): void {
    this.stopListeningOnline?.();
    this.stopListeningOnline = undefined;
    this.stopListeningVisibility?.();
    this.stopListeningVisibility = undefined;
    this.stopEverything();
    this.setState("closed", { reason: "client" });
  }

  /**
   * "Retry now": check a live socket at once (a ping), or run the waiting
   * retry now instead of at the end of its backoff. An attempt already under
   * way is left to finish; after `close()` this is `connect()`.
   */
  reconnectNow(): void {
    const { state, reason } = this.machine.snapshot;
    if (state === "live") {
      this.socket?.pingNow();
    } else if (state === "closed") {
      if (reason === "offline") this.startAttempting();
      else this.connect();
    } else if (this.retryWaiting) {
      this.retryNow();
    }
  }

  /** The server is about to close this socket for a policy violation: come back at the backoff's cap, not within 0.5 s. */
  backOffToCap(): void {
    this.failedAttempts = Math.max(this.failedAttempts, attemptAtCap(this.deps.backoff));
  }

  /** The successor has its answers: it becomes the connection. */
  promoteWhenReady(transport: WebSocketTransport): void {
    if (transport === this.successor && !this.hooks.awaitingAnswers(transport)) this.promoteSuccessor();
  }

  // ---- the one place the state changes ------------------------------------------

  private setState(to: ConnectionState, details: { nextRetryAt?: number; reason?: ClosedReason; lastError?: PushClientError } = {}): void {
    this.machine.setState(to, { attempt: this.failedAttempts, ...details });
  }

  // ---- sockets --------------------------------------------------------------------

  /**
   * The first attempt after connect() or an offline spell. The snapshots are
   * polled at once, in parallel with the socket: the page has nothing to show
   * yet (or data from before the spell), and a socket can hang for its whole
   * connect timeout (a captive portal, black-holed WebSockets).
   */
  private startAttempting(): void {
    this.setState("connecting");
    this.deps.poller?.start();
    void this.openSocket();
  }

  private retryNow(): void {
    this.deps.timers.clearTimeout(this.reconnectTimer);
    this.retryWaiting = false;
    void this.openSocket();
  }

  private currentPingIntervalMs(): number {
    const { settings, visibility } = this.deps;
    return visibility && !visibility.isVisible() ? settings.hiddenPingIntervalMs : settings.pingIntervalMs;
  }

  private async openSocket(): Promise<void> {
    const attemptId = ++this.socketAttemptId;
    let token: SessionToken;
    try {
      token = await this.deps.tokens.get();
    } catch (error) {
      if (attemptId !== this.socketAttemptId) return;
      const failure = sessionFailure(error);
      this.hooks.error(failure);
      this.attemptFailed(failure, false);
      return;
    }
    if (attemptId !== this.socketAttemptId) return;
    const transport = this.newTransport(token.token);
    if (transport instanceof WebSocketTransport) this.socket = transport;
    else {
      this.hooks.error(transport);
      this.attemptFailed(transport, false);
    }
  }

  private newTransport(token: string): WebSocketTransport | PushClientError {
    const { settings } = this.deps;
    try {
      return new WebSocketTransport(
        {
          WebSocket: this.deps.WebSocket,
          url: this.deps.websocketUrl,
          token,
          timers: this.deps.timers,
          clock: this.deps.clock,
          pingIntervalMs: this.currentPingIntervalMs(),
          keepAliveMs: settings.hiddenPingIntervalMs,
          pongTimeoutMs: settings.pongTimeoutMs,
          connectTimeoutMs: settings.connectTimeoutMs,
          nextRequestId: this.deps.nextRequestId,
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
      if (this.isInUse(transport)) this.hooks.frame(transport, frame);
    },
    onBadFrame: (transport, error) => {
      if (this.isInUse(transport)) this.hooks.badFrame(transport, error);
    },
    onPong: (transport, roundTripMs) => {
      if (this.isInUse(transport)) this.hooks.pong(roundTripMs);
    },
    onClose: (transport, info) => this.socketClosed(transport, info),
  };

  private socketOpened(transport: WebSocketTransport): void {
    if (transport === this.successor) {
      this.hooks.opened(transport);
      this.promoteWhenReady(transport);
      return;
    }
    if (transport !== this.socket) return;
    this.deps.timers.clearTimeout(this.reconnectTimer);
    this.retryWaiting = false;
    this.refusalRenewalSpent = false;
    this.deps.poller?.stop();
    this.setState("live");
    this.stableTimer = this.deps.timers.setTimeout(() => {
      this.failedAttempts = 0;
      this.failedSuccessorAttempts = 0;
      this.setState("live");
    }, this.deps.settings.stableAfterMs);
    this.scheduleSuccessor(this.deps.settings.maxConnectionAgeMs);
    this.hooks.opened(transport);
  }

  private socketClosed(transport: WebSocketTransport, info: CloseInfo): void {
    if (transport === this.successor) {
      // The planned reconnect failed; the old socket is still fine. Try again later, with backoff.
      this.successor = null;
      this.hooks.abandoned(transport);
      this.hooks.error(info.error);
      this.scheduleSuccessor(fullJitterDelay(this.deps.backoff, this.failedSuccessorAttempts++, this.deps.random));
      return;
    }
    if (transport !== this.socket) return;
    this.socket = null;
    this.hooks.abandoned(transport);
    this.deps.timers.clearTimeout(this.stableTimer);
    this.deps.timers.clearTimeout(this.successorTimer);
    this.hooks.error(info.error);

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
      this.deps.tokens.markRefused();
      this.refusalRenewalSpent = true;
    }
    this.attemptFailed(info.error, info.wasOpen);
  }

  /**
   * A socket attempt failed or a live socket dropped: schedule the next attempt
   * with full-jitter backoff. A stable connection that dropped goes to
   * `reconnecting` (the first retry is within 0.5 s; polling starts after
   * the poller's grace unless it opens first); anything else to `polling`,
   * which polls at once (the data may be 40 s old after a silent socket, and a
   * retry can hang until its connect timeout).
   */
  private attemptFailed(error: PushClientError, droppedWhileLive: boolean): void {
    const wasStable = droppedWhileLive && this.failedAttempts === 0;
    const delay = fullJitterDelay(this.deps.backoff, this.failedAttempts, this.deps.random);
    this.failedAttempts++;
    const poller = this.deps.poller;
    const next: ConnectionState = wasStable || !poller ? "reconnecting" : "polling";
    if (next === "polling") poller?.start();
    else poller?.startSoon();
    this.setState(next, { nextRetryAt: this.deps.clock.now() + delay, lastError: error });
    this.deps.timers.clearTimeout(this.reconnectTimer);
    this.retryWaiting = true;
    this.reconnectTimer = this.deps.timers.setTimeout(() => {
      this.retryWaiting = false;
      this.setState(this.machine.state, { lastError: error });
      void this.openSocket();
    }, delay);
  }

  // ---- the planned successor ----------------------------------------------------------

  private scheduleSuccessor(delayMs: number): void {
    this.deps.timers.clearTimeout(this.successorTimer);
    this.successorTimer = this.deps.timers.setTimeout(() => void this.openSuccessor(), delayMs);
  }

  /** The planned reconnect: open the new socket before the old one is cut, so no moment is without push. */
  private async openSuccessor(): Promise<void> {
    const current = this.socket;
    if (!current?.isOpen || this.successor) return;
    let token: SessionToken;
    try {
      token = await this.deps.tokens.get();
    } catch (error) {
      if (this.socket !== current) return;
      this.hooks.error(sessionFailure(error));
      this.scheduleSuccessor(fullJitterDelay(this.deps.backoff, this.failedSuccessorAttempts++, this.deps.random));
      return;
    }
    if (this.socket !== current || !current.isOpen || this.successor) return;
    const transport = this.newTransport(token.token);
    if (transport instanceof WebSocketTransport) this.successor = transport;
    else this.hooks.error(transport);
  }

  private promoteSuccessor(): void {
    const old = this.socket;
    const next = this.successor;
    if (!next) return;
    this.socket = next;
    this.successor = null;
    this.failedSuccessorAttempts = 0;
    if (old) {
      this.hooks.abandoned(old);
      old.close(1000, "planned reconnect");
    }
    this.scheduleSuccessor(this.deps.settings.maxConnectionAgeMs);
    this.hooks.handover(this.deps.clock.now());
  }

  // ---- stopping, online / offline ---------------------------------------------------------

  private stopEverything(): void {
    this.socketAttemptId++;
    for (const timer of [this.reconnectTimer, this.stableTimer, this.successorTimer]) this.deps.timers.clearTimeout(timer);
    this.retryWaiting = false;
    this.socket?.close(1000, "client closed");
    this.successor?.close(1000, "client closed");
    this.socket = null;
    this.successor = null;
    this.hooks.stopped();
    this.deps.poller?.stop();
  }

  private wentOffline(): void {
    if (this.machine.state === "closed") return;
    // No network: every attempt would fail and count against the backoff. Stop and wait for `online`.
    this.stopEverything();
    this.setState("closed", { reason: "offline" });
  }

  private wentOnline(): void {
    const snapshot = this.machine.snapshot;
    if (snapshot.state === "closed" && snapshot.reason === "offline") {
      this.failedAttempts = 0;
      this.startAttempting();
      return;
    }
    // The network changed under a socket that looks fine (Wi-Fi to cellular): it may be dead; find out now.
    this.checkNow();
  }

  private visibilityChanged(event: VisibilityEvent): void {
    if (this.machine.state === "closed") return;
    const interval = this.currentPingIntervalMs();
    for (const transport of [this.socket, this.successor]) transport?.setPingInterval(interval);
    // Back on screen or thawed: timers may not have run for minutes, so the socket may be long dead.
    if (event !== "hidden") this.checkNow();
  }

  /** Make sure of the connection now: ping a live socket, or run a waiting retry at once. */
  private checkNow(): void {
    if (this.machine.state === "live") this.socket?.pingNow();
    else if (this.retryWaiting) this.retryNow();
  }
}

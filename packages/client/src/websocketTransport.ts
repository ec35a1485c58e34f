import { readServerFrame, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, type ClientFrame, type ServerFrame } from "@pushgate/core/wire";
import type { Clock, TimerHandle, Timers, WebSocketConstructor, WebSocketLike } from "./environment";
import { clientError, type PushClientError } from "./errors";

/** WebSocket readyState OPEN (the browser and `ws` agree; not every runtime has the static). */
const OPEN = 1;

export interface WebSocketTransportOptions {
  WebSocket: WebSocketConstructor;
  url: string;
  token: string;
  timers: Timers;
  clock: Clock;
  /**
   * Ping after this long without hearing from the server (any frame proves the
   * socket alive); changed with `setPingInterval` (a visible page checks often,
   * a hidden one rarely).
   */
  pingIntervalMs: number;
  /**
   * Ping at least this often whatever arrives, so the socket never goes idle
   * from our side: API Gateway closes a connection idle for 10 minutes.
   */
  keepAliveMs: number;
  /** No pong this long after a ping: the socket is dead. */
  pongTimeoutMs: number;
  /** Give up on a socket that has neither opened nor failed after this long. */
  connectTimeoutMs: number;
  nextRequestId: () => string;
}

export interface CloseInfo {
  /** Whether the socket had opened (a live connection dropped) or not (the handshake failed). */
  wasOpen: boolean;
  error: PushClientError;
}

export interface WebSocketTransportEvents {
  onOpen(transport: WebSocketTransport): void;
  onFrame(transport: WebSocketTransport, frame: ServerFrame): void;
  onBadFrame(transport: WebSocketTransport, error: PushClientError): void;
  /** The answer to our ping, with the round trip in ms. */
  onPong(transport: WebSocketTransport, roundTripMs: number): void;
  onClose(transport: WebSocketTransport, info: CloseInfo): void;
}

/**
 * One WebSocket, from handshake to close. It owns what is about this socket
 * alone: the subprotocols, JSON framing, the connect timeout, and the ping/pong
 * liveness check (a half-open TCP connection looks open for minutes; only an
 * unanswered ping tells). Reconnecting is not its business: it reports
 * `onClose` exactly once and is then dead; the client makes a new one.
 */
export class WebSocketTransport {
  private readonly socket: WebSocketLike;
  private opened = false;
  private finished = false;
  private connectTimer: TimerHandle | undefined;
  private pingTimer: TimerHandle | undefined;
  private pongTimer: TimerHandle | undefined;
  private awaitedPongId: string | undefined;
  private pingSentAt = 0;
  /** When a frame last arrived (or the socket opened): the socket was alive then. */
  private heardAt = 0;
  private pingIntervalMs: number;

  constructor(
    private readonly options: WebSocketTransportOptions,
    private readonly events: WebSocketTransportEvents,
  ) {
    // Browsers cannot set headers on a WebSocket and a token in the URL ends up in access
    // logs, so the token travels as the second offered subprotocol.
    this.pingIntervalMs = options.pingIntervalMs;
    this.socket = new options.WebSocket(options.url, [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${options.token}`]);
    this.socket.onopen = () => this.handleOpen();
    this.socket.onmessage = (event: { data?: unknown }) => this.handleMessage(event.data);
    this.socket.onclose = (event: { code?: number; reason?: string }) => this.handleClose(event.code, event.reason);
    // The error event carries nothing useful in a browser and is always followed by close.
    this.socket.onerror = () => {};
    this.connectTimer = options.timers.setTimeout(() => {
      this.fail(false, clientError("HANDSHAKE_TIMEOUT", `the socket did not open within ${options.connectTimeoutMs} ms`));
    }, options.connectTimeoutMs);
  }

  get isOpen(): boolean {
    return this.opened && !this.finished;
  }

  /** Send one frame; false when the socket is not open (the caller resends after reconnecting). */
  send(frame: ClientFrame): boolean {
    if (!this.isOpen || this.socket.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** A new ping cadence (the page became hidden or visible); the next ping is re-timed from the last sign of life. */
  setPingInterval(ms: number): void {
    this.pingIntervalMs = ms;
    if (this.isOpen && this.awaitedPongId === undefined) this.schedulePing();
  }

  /**
   * Check the socket now (the page became visible, the network came back, the
   * page resumed): a socket that went silent meanwhile is found out within the
   * pong deadline instead of at the next scheduled ping. No-op while a ping awaits its pong.
   */
  pingNow(): void {
    if (!this.isOpen || this.awaitedPongId !== undefined) return;
    this.options.timers.clearTimeout(this.pingTimer);
    this.ping();
  }

  /** Close on purpose. No `onClose` follows: the caller already knows. */
  close(code = 1000, reason = "client closed"): void {
    if (this.finished) return;
    this.finish();
    this.closeSocket(code, reason);
  }

  private handleOpen(): void {
    if (this.finished) return;
    this.options.timers.clearTimeout(this.connectTimer);
    if (this.socket.protocol !== "" && this.socket.protocol !== SUBPROTOCOL) {
      this.fail(false, clientError("HANDSHAKE_FAILED", `the server chose subprotocol "${this.socket.protocol}", not ${SUBPROTOCOL}`));
      return;
    }
    this.opened = true;
    this.heardAt = this.options.clock.now();
    this.pingSentAt = this.heardAt;
    this.schedulePing();
    this.events.onOpen(this);
  }

  private handleMessage(data: unknown): void {
    if (this.finished) return;
    this.heardAt = this.options.clock.now();
    const frame = parseServerFrame(data);
    const isAwaitedPong = frame.ok && frame.frame.type === "pong" && frame.frame.id === this.awaitedPongId;
    // Any frame proves the socket alive: the next ping can wait (a busy game costs no pings), and a
    // ping still awaiting its pong has its answer. The gateway answers a ping it throttled (its
    // stage limit: every visible page pings 30 s after the same push reached it, at the push's
    // own pace) with `{"message":"Too Many Requests"}`, not a pong: closing a live socket over it
    // would turn a throttled ping into a reconnect, and a throttle into a reconnect storm.
    this.awaitedPongId = undefined;
    this.options.timers.clearTimeout(this.pongTimer);
    this.schedulePing();
    if (!frame.ok) {
      this.events.onBadFrame(this, frame.error);
      return;
    }
    if (isAwaitedPong) {
      this.events.onPong(this, this.options.clock.now() - this.pingSentAt);
      return;
    }
    this.events.onFrame(this, frame.frame);
  }

  private handleClose(code: number | undefined, reason: string | undefined): void {
    if (this.finished) return;
    const detail = `code ${code ?? "unknown"}${reason ? `, "${reason}"` : ""}`;
    const error = this.opened
      ? clientError("SOCKET_CLOSED", `the socket closed (${detail})`, code === undefined ? {} : { status: code })
      : clientError(
          "HANDSHAKE_FAILED",
          `the socket closed before opening (${detail}): refused, unreachable, or no ${SUBPROTOCOL} answer`,
          code === undefined ? {} : { status: code },
        );
    this.finish();
    this.events.onClose(this, { wasOpen: this.opened, error });
  }

  /** The next ping: the cadence after the last sign of life, but never later than the keep-alive after the last ping. */
  private schedulePing(): void {
    this.options.timers.clearTimeout(this.pingTimer);
    const now = this.options.clock.now();
    const dueAt = Math.min(this.heardAt + this.pingIntervalMs, this.pingSentAt + this.options.keepAliveMs);
    this.pingTimer = this.options.timers.setTimeout(() => this.ping(), Math.max(0, dueAt - now));
  }

  private ping(): void {
    if (this.finished) return;
    const id = this.options.nextRequestId();
    this.awaitedPongId = id;
    this.pingSentAt = this.options.clock.now();
    this.send({ action: "ping", id });
    this.pongTimer = this.options.timers.setTimeout(() => {
      this.fail(true, clientError("PONG_TIMEOUT", `no pong within ${this.options.pongTimeoutMs} ms of ping ${id}`));
    }, this.options.pongTimeoutMs);
  }

  /** Give up on this socket: report once, then close it without waiting for its close handshake. */
  private fail(wasOpen: boolean, error: PushClientError): void {
    if (this.finished) return;
    this.finish();
    this.closeSocket(4000, error.code);
    this.events.onClose(this, { wasOpen, error });
  }

  private finish(): void {
    this.finished = true;
    this.options.timers.clearTimeout(this.connectTimer);
    this.options.timers.clearTimeout(this.pingTimer);
    this.options.timers.clearTimeout(this.pongTimer);
  }

  private closeSocket(code: number, reason: string): void {
    try {
      this.socket.close(code, reason);
    } catch (cause) {
      // close() throws only for an invalid code or reason, which would be a bug here: show it.
      console.error("pushgate client: closing the socket failed", cause);
    }
  }
}

/** One server frame checked by the wire module; a failure becomes the client's BAD_FRAME error. */
export function parseServerFrame(data: unknown): { ok: true; frame: ServerFrame } | { ok: false; error: PushClientError } {
  const read = readServerFrame(data);
  return read.ok ? read : { ok: false, error: clientError("BAD_FRAME", `dropped a server frame: ${read.why}`) };
}

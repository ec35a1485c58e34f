import { WebSocket } from "ws";
import type { TimerHandle, Timers } from "../invoke";
import type { ConnectionFacts } from "./events";
import type { GatewayLimits } from "./limits";

/** A close this side asked for, remembered for the $disconnect event. */
export interface CloseRequest {
  code: number;
  reason: string;
}

/**
 * The close of a connection whose client side buffer stayed full: our choice,
 * as AWS documents none. 1008 (policy violation) because the client broke the
 * one rule a push channel has, to read what it is sent. Only $disconnect sees
 * it: the socket is cut rather than closed, since a close frame would wait
 * behind the bytes the client is not reading, so the client itself sees 1006
 * and reconnects (then resyncs from the snapshot).
 */
export const SLOW_READER_CLOSE = { code: 1008, reason: "Slow reader: the client side buffer stayed full" } as const;

/** Whether a post was handed to the socket, or refused because the client is not reading. */
export type OfferOutcome = "accepted" | "full";

export type ConnectionLimits = Pick<GatewayLimits, "idleTimeoutMs" | "maxBufferedBytes" | "slowReaderCloseMs">;

/** What GetConnection and `connections()` report about one socket. */
export interface ConnectionInfo {
  connectionId: string;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
}

/**
 * One open WebSocket and its limit timers. The idle timer restarts on every
 * client message (posts from the server do not count, as on AWS, which is why
 * clients send an application ping); the lifetime timer never restarts.
 *
 * Posts never wait for the reader: they are handed to the socket while its
 * unsent bytes are under `maxBufferedBytes`, refused ("full") over it, and a
 * connection still full `slowReaderCloseMs` after a refusal is cut.
 */
export class GatewayConnection {
  lastActiveAt: number;
  closeRequest: CloseRequest | undefined;
  private idleTimer: TimerHandle | undefined;
  private lifetimeTimer: TimerHandle | undefined;
  private slowReaderTimer: TimerHandle | undefined;

  constructor(
    readonly facts: ConnectionFacts,
    readonly socket: WebSocket,
    private readonly timers: Timers,
    private readonly limits: ConnectionLimits,
  ) {
    this.lastActiveAt = facts.connectedAt;
  }

  get id() {
    return this.facts.connectionId;
  }

  /** Open and not being closed: the only state in which it may receive posts or answers. */
  get isOpen() {
    return this.closeRequest === undefined && this.socket.readyState === WebSocket.OPEN;
  }

  startLimits(maxDurationMs: number) {
    this.lifetimeTimer = this.timers.setTimeout(() => this.close(1001, "Going away"), maxDurationMs);
    this.restartIdleTimer();
  }

  /** A message from the client: the connection is active. */
  touch(now: number) {
    this.lastActiveAt = now;
    this.restartIdleTimer();
  }

  /** Closes once; later requests keep the first code, which $disconnect reports. */
  close(code: number, reason: string) {
    if (this.closeRequest) return;
    this.closeRequest = { code, reason };
    this.stopLimits();
    this.socket.close(code, reason);
  }

  /** Records a close `ws` started itself (e.g. its own payload limit), unless one was already asked for. */
  recordClose(code: number, reason: string) {
    this.closeRequest ??= { code, reason };
    this.stopLimits();
  }

  stopLimits() {
    if (this.idleTimer !== undefined) this.timers.clearTimeout(this.idleTimer);
    if (this.lifetimeTimer !== undefined) this.timers.clearTimeout(this.lifetimeTimer);
    if (this.slowReaderTimer !== undefined) this.timers.clearTimeout(this.slowReaderTimer);
    this.idleTimer = this.lifetimeTimer = this.slowReaderTimer = undefined;
  }

  /** Bytes accepted for this client and not yet handed to the operating system. */
  get unsentBytes() {
    return this.socket.bufferedAmount;
  }

  /**
   * Hands a text frame to the socket without waiting for it to be written,
   * unless the client has left too much unread. A write that fails later
   * means the socket is closing, which its close event reports.
   */
  offer(data: string | Buffer): OfferOutcome {
    if (this.unsentBytes > this.limits.maxBufferedBytes) {
      this.watchSlowReader();
      return "full";
    }
    this.socket.send(data, { binary: false }, () => {});
    return "accepted";
  }

  /** The socket's own buffer emptied: the client is reading again. */
  drained() {
    if (this.slowReaderTimer !== undefined) this.timers.clearTimeout(this.slowReaderTimer);
    this.slowReaderTimer = undefined;
  }

  private watchSlowReader() {
    if (this.slowReaderTimer !== undefined || this.closeRequest) return;
    this.slowReaderTimer = this.timers.setTimeout(() => {
      this.slowReaderTimer = undefined;
      if (this.unsentBytes > this.limits.maxBufferedBytes) this.cut(SLOW_READER_CLOSE.code, SLOW_READER_CLOSE.reason);
    }, this.limits.slowReaderCloseMs);
  }

  /** Ends the connection without a close handshake, recording the code $disconnect reports. */
  private cut(code: number, reason: string) {
    if (this.closeRequest) return;
    this.closeRequest = { code, reason };
    this.stopLimits();
    this.socket.terminate();
  }

  info(): ConnectionInfo {
    const { connectionId, connectedAt, sourceIp, userAgent } = this.facts;
    return { connectionId, connectedAt, lastActiveAt: this.lastActiveAt, sourceIp, userAgent };
  }

  private restartIdleTimer() {
    if (this.closeRequest) return;
    if (this.idleTimer !== undefined) this.timers.clearTimeout(this.idleTimer);
    this.idleTimer = this.timers.setTimeout(() => this.close(1001, "Going away"), this.limits.idleTimeoutMs);
  }
}

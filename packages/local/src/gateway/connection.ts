import { WebSocket } from "ws";
import type { TimerHandle, Timers } from "../invoke";
import type { ConnectionFacts } from "./events";

/** A close this side asked for, remembered for the $disconnect event. */
export interface CloseRequest {
  code: number;
  reason: string;
}

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
 */
export class GatewayConnection {
  lastActiveAt: number;
  closeRequest: CloseRequest | undefined;
  private idleTimer: TimerHandle | undefined;
  private lifetimeTimer: TimerHandle | undefined;

  constructor(
    readonly facts: ConnectionFacts,
    readonly socket: WebSocket,
    private readonly timers: Timers,
    private readonly idleTimeoutMs: number,
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
    this.idleTimer = this.lifetimeTimer = undefined;
  }

  /** Sends a text frame; resolves once written to the socket. */
  sendText(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, { binary: false }, (error) => (error ? reject(error) : resolve())));
  }

  info(): ConnectionInfo {
    const { connectionId, connectedAt, sourceIp, userAgent } = this.facts;
    return { connectionId, connectedAt, lastActiveAt: this.lastActiveAt, sourceIp, userAgent };
  }

  private restartIdleTimer() {
    if (this.closeRequest) return;
    if (this.idleTimer !== undefined) this.timers.clearTimeout(this.idleTimer);
    this.idleTimer = this.timers.setTimeout(() => this.close(1001, "Going away"), this.idleTimeoutMs);
  }
}

/**
 * One WebSocket between a client under test and the fake push server, in the
 * test process: the client's side is a `WebSocketLike` (what the client
 * constructs), the server's side a `FakeConnection` (what the test inspects).
 * Frames cross as JSON text, each in its own microtask, as a real socket
 * delivers them after the call that sent them returns.
 */
import type { ClientFrame, ServerFrame } from "@pushgate/core/wire";
import type { WebSocketLike } from "../environment";

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/** The close code a browser reports when the network, not a peer, ended the socket. */
export const ABNORMAL_CLOSURE = 1006;

export type ConnectionPhase = "connecting" | "open" | "closed";

/** The server, as the client's end of a socket reaches it. */
export interface SocketPeer {
  fromClient(socket: FakeSocket, text: string): void;
  closedByClient(socket: FakeSocket, code: number, reason: string): void;
}

/** The client's end: what `new WebSocket(url, protocols)` returns in a test. */
export class FakeSocket implements WebSocketLike {
  readyState = CONNECTING;
  protocol = "";
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
    private readonly peer: SocketPeer,
  ) {}

  send(data: string): void {
    // A browser throws InvalidStateError for a send before open; after close it discards.
    if (this.readyState === CONNECTING) throw new Error("InvalidStateError: the fake socket is still connecting");
    if (this.readyState !== OPEN) return;
    this.peer.fromClient(this, data);
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.peer.closedByClient(this, code, reason);
    queueMicrotask(() => this.onclose?.({ code, reason, wasClean: true }));
  }

  /** The server accepted the handshake with `protocol`. */
  opened(protocol: string): void {
    if (this.readyState !== CONNECTING) return;
    this.readyState = OPEN;
    this.protocol = protocol;
    this.onopen?.({});
  }

  received(text: string): void {
    if (this.readyState === OPEN) this.onmessage?.({ data: text });
  }

  /** The socket ended from the far side (or the network); a browser fires error, then close. */
  ended(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.onerror?.({});
    this.onclose?.({ code, reason, wasClean: code !== ABNORMAL_CLOSURE });
  }
}

/** The server's end of one socket, as a test sees it. */
export class FakeConnection {
  /** Every frame the client sent on this socket, parsed (a frame the protocol refuses is not here). */
  readonly received: ClientFrame[] = [];
  /** Every text the client sent, as sent. */
  readonly receivedText: string[] = [];
  /** The topics this socket is subscribed to now. */
  readonly topics = new Set<string>();
  phase: ConnectionPhase = "connecting";
  /** How it ended, once it has. */
  closed: { code: number; reason: string; by: "client" | "server" } | undefined;
  /** While true, nothing crosses in either direction (a half-open TCP connection). */
  stalled = false;

  constructor(
    readonly id: string,
    readonly socket: FakeSocket,
    readonly fanId: string,
    readonly token: string,
  ) {}

  get isOpen(): boolean {
    return this.phase === "open";
  }

  /** Send a frame to the client, unless the socket is closed or stalled (then it is lost, as on a dead link). */
  send(frame: ServerFrame): void {
    this.sendText(JSON.stringify(frame));
  }

  /** Send any text, for a test of how the client takes a frame that is not protocol v1. */
  sendText(text: string): void {
    if (!this.isOpen || this.stalled) return;
    queueMicrotask(() => {
      if (this.isOpen && !this.stalled) this.socket.received(text);
    });
  }

  /** Close from the server's side with `code` (1006 for a network drop, 1001 going away, 1011 an error). */
  close(code = ABNORMAL_CLOSURE, reason = ""): void {
    if (this.phase === "closed") return;
    this.end(code, reason, "server");
    queueMicrotask(() => this.socket.ended(code, reason));
  }

  /** Frames of one action the client sent. */
  framesOf<A extends ClientFrame["action"]>(action: A): Extract<ClientFrame, { action: A }>[] {
    return this.received.filter((frame): frame is Extract<ClientFrame, { action: A }> => frame.action === action);
  }

  end(code: number, reason: string, by: "client" | "server"): void {
    this.phase = "closed";
    this.topics.clear();
    this.closed = { code, reason, by };
  }
}

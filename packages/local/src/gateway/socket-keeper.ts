/**
 * The per-socket half of the gateway: completing an accepted handshake with
 * the subprotocol $connect chose, then everything one open socket needs
 * (GatewayConnection's limits and buffers, the frame inspector, binary
 * frames, the close code $disconnect reports) and the Management API's calls
 * on it. The per-API half (upgrades, rate limits, $connect, routes,
 * $disconnect) is websocket-gateway.ts.
 *
 * One keeper serves the in-process gateway, and one runs in each socket
 * holder process (socket-holder-process.ts), so both hold sockets by the
 * same rules.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { Clock, Timers } from "../invoke/clock";
import type { Log } from "../log";
import { GatewayConnection, type ConnectionInfo } from "./connection";
import type { ConnectionFacts } from "./events";
import { createFrameInspector } from "./frame-inspector";
import type { GatewayLimits } from "./limits";
import { applyManagementCall, type ManagementCall, type ManagementOutcome } from "./management-calls";

export interface SocketKeeperEvents {
  /** A text message from an open connection (the idle timer already restarted). */
  onText(facts: ConnectionFacts, text: string): void;
  /** The socket closed, whoever closed it: the code and reason $disconnect reports. */
  onClosed(facts: ConnectionFacts, code: number, reason: string): void;
}

/**
 * Where a gateway's accepted sockets are: a keeper in this process, or the
 * socket holder processes (socket-holders.ts). The front uses only this.
 */
export interface SocketHost {
  /** Completes the handshake $connect accepted; the connection is kept from then on. */
  adopt(request: IncomingMessage, socket: Duplex, head: Buffer, facts: ConnectionFacts, subprotocol: string | undefined): void;
  /** Open (not closed or, in this process, closing): what a route checks before it runs. */
  isOpen(connectionId: string): boolean;
  /** A frame from the gateway itself (route response, error); like a post, it never waits for the reader. */
  answer(connectionId: string, text: string): void;
  /** A Management API call, authorized, applied to the connection it names. */
  apply(call: ManagementCall): ManagementOutcome | Promise<ManagementOutcome>;
  connections(): ConnectionInfo[];
  /** Closes every socket with 1001 and resolves once each reported its close; cuts those still open after graceMs. */
  closeAll(graceMs: number): Promise<void>;
  /** Releases what the host itself holds (after closeAll). */
  close(): void | Promise<void>;
  /** The processes holding the sockets, if not this one. */
  processIds(): number[];
}

/** A keeper applies Management API calls at once: its sockets are here. */
export type SocketKeeper = Omit<SocketHost, "apply"> & { apply(call: ManagementCall): ManagementOutcome };

export interface SocketKeeperOptions extends SocketKeeperEvents {
  limits: GatewayLimits;
  clock: Clock;
  timers: Timers;
  log: Log;
}

/** Reasons API Gateway reports for closes that carry none. */
export function disconnectReasonFor(code: number, reason: string): string {
  if (reason) return reason;
  if (code === 1005) return "Client-side close frame status not set";
  if (code === 1006) return "Connection closed abnormally";
  return "";
}

export function createSocketKeeper(options: SocketKeeperOptions): SocketKeeper {
  const { limits, clock, timers, log } = options;
  const connections = new Map<string, GatewayConnection>();
  const chosenSubprotocol = new WeakMap<IncomingMessage, string | undefined>();
  const wss = new WebSocketServer({
    noServer: true,
    // A backstop: the frame inspector normally closes oversized messages first.
    maxPayload: limits.maxMessageBytes,
    // Only the subprotocol $connect chose, never a default: without the
    // header in its answer, API Gateway selects none and browsers then fail
    // the handshake, so the same mistake must fail here.
    handleProtocols: (_offered, request) => chosenSubprotocol.get(request) ?? false,
  });

  function onOpen(ws: WebSocket, facts: ConnectionFacts, socket: Duplex) {
    const connection = new GatewayConnection(facts, ws, timers, limits);
    connections.set(facts.connectionId, connection);
    socket.on("drain", () => connection.drained());
    // Before ws's own listener, so an oversized frame closes the connection before ws delivers it.
    socket.prependListener(
      "data",
      createFrameInspector(limits, (violation) => connection.close(violation.code, violation.reason)),
    );
    connection.startLimits(limits.maxConnectionDurationMs);
    ws.on("message", (data: RawData, isBinary: boolean) => onMessage(connection, data, isBinary));
    ws.on("error", (error: Error & { code?: string }) => {
      if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") connection.recordClose(1009, "Message too big");
      log("debug", `connection ${facts.connectionId}: ${error.message}`);
    });
    ws.on("close", (code: number, reason: Buffer) => {
      connection.stopLimits();
      connections.delete(facts.connectionId);
      const final = connection.closeRequest ?? { code, reason: disconnectReasonFor(code, reason.toString()) };
      options.onClosed(facts, final.code, final.reason);
    });
  }

  function onMessage(connection: GatewayConnection, data: RawData, isBinary: boolean) {
    if (!connection.isOpen) return; // closing: API Gateway stops routing at once
    if (isBinary) return connection.close(1003, "Binary frames are not supported");
    connection.touch(clock.now());
    const body = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as Buffer).toString("utf8");
    options.onText(connection.facts, body);
  }

  return {
    adopt(request: IncomingMessage, socket: Duplex, head: Buffer, facts: ConnectionFacts, subprotocol: string | undefined) {
      chosenSubprotocol.set(request, subprotocol);
      wss.handleUpgrade(request, socket, head, (ws) => onOpen(ws, facts, socket));
    },

    isOpen: (connectionId: string) => connections.get(connectionId)?.isOpen ?? false,

    answer(connectionId: string, text: string) {
      const connection = connections.get(connectionId);
      if (!connection?.isOpen) return;
      if (connection.offer(text) === "full") log("debug", `could not answer ${connectionId}: its client side buffer is full`);
    },

    apply: (call) => applyManagementCall(connections.get(call.connectionId), call, limits, log),

    connections: () => [...connections.values()].map((connection) => connection.info()),

    async closeAll(graceMs: number) {
      const open = [...connections.values()];
      const closed = open.map((connection) => new Promise<void>((resolve) => connection.socket.once("close", () => resolve())));
      for (const connection of open) connection.close(1001, "Going away");
      // A client that never answers the close frame must not hold stop() up.
      const grace = setTimeout(() => {
        for (const connection of open) connection.socket.terminate();
      }, graceMs);
      await Promise.all(closed);
      clearTimeout(grace);
    },

    close: () => wss.close(),

    processIds: () => [],
  };
}

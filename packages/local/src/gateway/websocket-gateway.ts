import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { WebSocketRouteDecl } from "@pushgate/core";
import { consoleLog, describeError, systemClock, systemTimers, type Clock, type Invoke, type Log, type Timers } from "../invoke";
import { listen } from "../http-server";
import { loopbackHost, urlHost } from "../listen-host";
import { sendAwsError } from "./aws-error";
import { GatewayConnection, type ConnectionInfo } from "./connection";
import { connectEvent, disconnectEvent, messageEvent, type ConnectionFacts, type WebSocketEvent } from "./events";
import { createFrameInspector } from "./frame-inspector";
import { interpretConnectResult, isValidHandshake, rejectHandshake, routeResponseBody } from "./handshake";
import { newConnectionId, newRequestId } from "./ids";
import { resolveGatewayLimits, type GatewayLimits } from "./limits";
import { createManagementApi, type ManagementAuthorizer } from "./management-api";
import { RouteScheduler } from "./route-scheduler";
import { selectRouteKey } from "./route-selection";
import { KeyedTokenBuckets, TokenBucket } from "./token-bucket";

export interface WebSocketGatewayOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  stage: string;
  apiId: string;
  /** Route key -> declaration, as in topology.websocket.routes. */
  routes: Record<string, WebSocketRouteDecl>;
  invoke: Invoke;
  limits?: Partial<GatewayLimits>;
  log?: Log;
  clock?: Clock;
  /** Drive the idle and lifetime limits; inject fake ones to test them without waiting. */
  timers?: Timers;
  /** requestContext.domainName; defaults to the Host header the client used. */
  domainName?: string;
  /** How long stop() lets clients answer the 1001 close before cutting their sockets. */
  stopGraceMs?: number;
  /** Authorizes `@connections` calls (the local cloud's IAM); default: any signature. */
  authorizeManagement?: ManagementAuthorizer;
  /** Connection id generator; tests pass one to get ids with `/`, `+` and `=` every time. */
  newConnectionId?: () => string;
}

export interface WebSocketGateway {
  /** `ws://127.0.0.1:P/{stage}`: what clients connect to. */
  url: string;
  /** `http://127.0.0.1:P/{stage}`: the Management API SDK client's `endpoint`. */
  managementEndpoint: string;
  port: number;
  connections(): ConnectionInfo[];
  /** PostToConnection calls accepted since the gateway started (pushes handed to a socket). */
  deliveries(): number;
  /** Closes every socket with 1001 (firing $disconnect), then the server. */
  stop(): Promise<void>;
}

/** Reasons API Gateway reports for closes that carry none. */
function disconnectReasonFor(code: number, reason: string): string {
  if (reason) return reason;
  if (code === 1005) return "Client-side close frame status not set";
  if (code === 1006) return "Connection closed abnormally";
  return "";
}

const peerAddress = (socket: Duplex) => ((socket as Socket).remoteAddress ?? "unknown").replace(/^::ffff:/, "");

/**
 * An API Gateway WebSocket API on one port: WebSocket upgrades at `/{stage}`
 * and the Management API at `/{stage}/@connections/{id}`.
 *
 * The order of a connection mirrors AWS: rate limits, then $connect (the
 * upgrade waits for it), then messages routed by `action`, then $disconnect on
 * every close, whoever closed.
 *
 * Messages are invoked one at a time per connection, in order, and fairly
 * across connections (route-scheduler.ts), so a flood on one connection does
 * not delay the others' routes.
 */
export async function startWebSocketGateway(options: WebSocketGatewayOptions): Promise<WebSocketGateway> {
  const { stage, apiId, routes, invoke } = options;
  const host = options.host ?? loopbackHost;
  const log = options.log ?? consoleLog;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const limits = resolveGatewayLimits(options.limits);
  const routeKeys = new Set(Object.keys(routes));
  const connections = new Map<string, GatewayConnection>();
  const pendingUpgrades = new Set<Duplex>();
  const pendingDisconnects = new Set<Promise<void>>();
  const chosenSubprotocol = new WeakMap<IncomingMessage, string | undefined>();
  const newConnections = new TokenBucket(limits.connectionsPerSecond, limits.connectionBurst ?? limits.connectionsPerSecond, clock);
  const newConnectionsPerIp = limits.connectionsPerSecondPerIp
    ? new KeyedTokenBuckets(limits.connectionsPerSecondPerIp, limits.connectionsPerSecondPerIp, clock)
    : undefined;
  let stopping: Promise<void> | undefined;
  const scheduler = new RouteScheduler({
    maxConcurrent: limits.maxConcurrentRoutes,
    maxQueuedPerLane: limits.maxQueuedMessagesPerConnection,
    onTaskError: (error) => log("error", `a route invocation failed inside the emulator: ${describeError(error)}`),
  });

  const wss = new WebSocketServer({
    noServer: true,
    // A backstop: the frame inspector normally closes oversized messages first.
    maxPayload: limits.maxMessageBytes,
    // Only the subprotocol $connect chose, never a default: without the
    // header in its answer, API Gateway selects none and browsers then fail
    // the handshake, so the same mistake must fail here.
    handleProtocols: (_offered, request) => chosenSubprotocol.get(request) ?? false,
  });

  const server: Server = createServer();
  // Longer than the SDK's idle keep-alive sockets live, so a reused socket is never closed under a request.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  let deliveries = 0;
  const handleManagementRequest = createManagementApi({
    stage,
    ...(options.authorizeManagement && { authorize: options.authorizeManagement }),
    connections,
    maxPostBytes: limits.maxPostBytes,
    maxBufferedBytes: limits.maxBufferedBytes,
    slowReaderCloseMs: limits.slowReaderCloseMs,
    managementRatePerSecond: limits.managementRatePerSecond,
    clock,
    log,
    onDelivered: () => void (deliveries += 1),
  });
  server.on("request", (request, response) => {
    handleManagementRequest(request, response).catch((error: unknown) => {
      log("error", `@connections ${request.method} ${request.url} failed inside the emulator: ${describeError(error)}`);
      if (!response.headersSent)
        sendAwsError(response, 500, "InternalServerErrorException", "Internal server error in the local gateway; see its log");
      else response.destroy();
    });
  });

  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    handleUpgrade(request, socket, head).catch((error: unknown) => {
      log("error", `WebSocket upgrade failed inside the emulator: ${describeError(error)}`);
      pendingUpgrades.delete(socket);
      rejectHandshake(socket, 500, JSON.stringify({ message: "Internal server error" }));
    });
  });

  async function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
    socket.on("error", (error) => log("debug", `client socket error during the handshake: ${describeError(error)}`));
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    if (stopping || (path !== `/${stage}` && path !== `/${stage}/`)) {
      return rejectHandshake(socket, 403, JSON.stringify({ message: "Forbidden" }));
    }
    if (!isValidHandshake(request)) {
      return rejectHandshake(socket, 400, JSON.stringify({ message: "Bad Request: not a WebSocket handshake" }));
    }
    const sourceIp = peerAddress(socket);
    if (!newConnections.tryTake() || (newConnectionsPerIp && !newConnectionsPerIp.tryTake(sourceIp))) {
      log(
        "warn",
        `refused a new connection from ${sourceIp} with 429: over the new-connection rate; clients should reconnect with backoff`,
      );
      return rejectHandshake(socket, 429, JSON.stringify({ message: "Limit Exceeded" }));
    }

    const facts: ConnectionFacts = {
      connectionId: (options.newConnectionId ?? newConnectionId)(),
      connectedAt: clock.now(),
      sourceIp,
      userAgent: request.headers["user-agent"] ?? "",
      stage,
      apiId,
      domainName: options.domainName ?? request.headers.host ?? `${host}:${port}`,
    };

    let subprotocol: string | undefined;
    const connectRoute = routes.$connect;
    if (connectRoute) {
      pendingUpgrades.add(socket);
      let result: unknown;
      try {
        result = await invoke(connectRoute.function, connectEvent(facts, request, clock.now(), port));
      } catch {
        // The invoker logged the handler's error; the client sees what AWS sends.
        pendingUpgrades.delete(socket);
        return rejectHandshake(socket, 500, JSON.stringify({ message: "Internal server error" }));
      }
      pendingUpgrades.delete(socket);
      const decision = interpretConnectResult(result);
      if (decision.status < 200 || decision.status > 299) {
        return rejectHandshake(socket, decision.status, decision.body);
      }
      subprotocol = decision.subprotocol;
      if (socket.destroyed || !socket.readable || !socket.writable || stopping) {
        // $connect accepted a client that is already gone (ws would drop it
        // silently): tell $disconnect, so what $connect stored is cleaned up.
        // If the departure is not visible yet, ws sees it after the upgrade
        // and the close handler reports the same 1006.
        socket.destroy();
        return void trackDisconnect(facts, 1006, "Connection closed abnormally");
      }
    }

    chosenSubprotocol.set(request, subprotocol);
    wss.handleUpgrade(request, socket, head, (ws) => onOpen(ws, facts, socket));
  }

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
      scheduler.drop(facts.connectionId);
      const final = connection.closeRequest ?? { code, reason: disconnectReasonFor(code, reason.toString()) };
      void trackDisconnect(facts, final.code, final.reason);
    });
  }

  function onMessage(connection: GatewayConnection, data: RawData, isBinary: boolean) {
    if (!connection.isOpen) return; // closing: API Gateway stops routing at once
    if (isBinary) return connection.close(1003, "Binary frames are not supported");
    connection.touch(clock.now());
    const body = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data as Buffer).toString("utf8");
    const routeKey = selectRouteKey(body, routeKeys);
    const { connectionId } = connection.facts;
    if (routeKey === undefined) {
      return answer(connection, JSON.stringify({ message: "Forbidden", connectionId, requestId: newRequestId() }));
    }
    const event = messageEvent(connection.facts, routeKey, body, clock.now());
    const queued = scheduler.submit(connectionId, () => invokeRoute(connection, routeKey, event));
    if (!queued) {
      // API Gateway answers throttled messages with 429 "Too Many Requests"; over
      // WebSocket that is an error frame in the shape of its others. The message
      // is dropped and the connection stays, so the client can slow down.
      log(
        "warn",
        `dropped a message on ${connectionId}: ${limits.maxQueuedMessagesPerConnection} already wait for their route; answered "Too Many Requests"`,
      );
      answer(connection, JSON.stringify({ message: "Too Many Requests", connectionId, requestId: event.requestContext.requestId }));
    }
  }

  async function invokeRoute(connection: GatewayConnection, routeKey: string, event: WebSocketEvent) {
    if (!connection.isOpen) return; // closed while this message waited its turn
    const route = routes[routeKey]!;
    const { connectionId } = connection.facts;
    let result: unknown;
    try {
      result = await invoke(route.function, event);
    } catch {
      // The invoker logged the error; the client gets API Gateway's generic frame and keeps its connection.
      return answer(
        connection,
        JSON.stringify({ message: "Internal server error", connectionId, requestId: event.requestContext.requestId }),
      );
    }
    if (!route.routeResponse) return;
    const reply = routeResponseBody(result);
    if (reply !== undefined) answer(connection, reply);
  }

  /** A frame from the gateway itself; like a post, it never waits for the reader. */
  function answer(connection: GatewayConnection, text: string) {
    if (!connection.isOpen) return;
    if (connection.offer(text) === "full") log("debug", `could not answer ${connection.id}: its client side buffer is full`);
  }

  function trackDisconnect(facts: ConnectionFacts, code: number, reason: string): Promise<void> {
    const route = routes.$disconnect;
    if (!route) return Promise.resolve();
    const pending = invoke(route.function, disconnectEvent(facts, code, reason, clock.now())).then(
      () => undefined,
      () =>
        log(
          "warn",
          `$disconnect for ${facts.connectionId} failed (see the error above); it is best-effort on AWS too, so the connection's rows stay until their TTL`,
        ),
    );
    pendingDisconnects.add(pending);
    void pending.finally(() => pendingDisconnects.delete(pending));
    return pending;
  }

  const port = await listen(server, options.port ?? 0, host);
  server.on("error", (error) => log("error", `WebSocket gateway server error: ${describeError(error)}`));
  const base = `${urlHost(host)}:${port}/${stage}`;

  async function stop() {
    for (const socket of pendingUpgrades) socket.destroy();
    pendingUpgrades.clear();
    const open = [...connections.values()];
    const closed = open.map((connection) => new Promise<void>((resolve) => connection.socket.once("close", () => resolve())));
    for (const connection of open) connection.close(1001, "Going away");
    // A client that never answers the close frame must not hold stop() up.
    const grace = setTimeout(() => {
      for (const connection of open) connection.socket.terminate();
    }, options.stopGraceMs ?? 1000);
    await Promise.all(closed);
    clearTimeout(grace);
    while (pendingDisconnects.size > 0) await Promise.all([...pendingDisconnects]);
    wss.close();
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Idle keep-alive sockets from SDK clients would otherwise hold close() open.
      server.closeAllConnections();
    });
  }

  return {
    url: `ws://${base}`,
    managementEndpoint: `http://${base}`,
    port,
    connections: () => [...connections.values()].map((connection) => connection.info()),
    deliveries: () => deliveries,
    stop: () => (stopping ??= stop()),
  };
}

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { WebSocketRouteDecl } from "@pushgate/core";
import { consoleLog, describeError, systemClock, systemTimers, type Clock, type Invoke, type Log, type Timers } from "../invoke";
import { listen } from "../http-server";
import { loopbackHost, urlHost } from "../listen-host";
import { sendAwsError } from "./aws-error";
import type { ConnectionInfo } from "./connection";
import { connectEvent, disconnectEvent, messageEvent, type ConnectionFacts, type WebSocketEvent } from "./events";
import { interpretConnectResult, isValidHandshake, rejectHandshake, routeResponseBody } from "./handshake";
import { newConnectionId, newRequestId } from "./ids";
import { resolveGatewayLimits, type GatewayLimits } from "./limits";
import { createManagementApi, type ManagementAuthorizer } from "./management-api";
import { RouteScheduler } from "./route-scheduler";
import { selectRouteKey } from "./route-selection";
import { createSocketKeeper, type SocketHost } from "./socket-keeper";
import { startSocketHolders } from "./socket-holders";
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
  /**
   * Processes that hold the sockets after $connect. 1 (default): this one.
   * N > 1: N child processes (socket-holders.ts), for scale runs past this
   * process's open-files limit; this process keeps the port, $connect,
   * routes, $disconnect and the Management API. Their idle and lifetime
   * timers run on real time, not `timers`.
   */
  socketProcesses?: number;
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
  /** The socket holder processes' ids (socketProcesses > 1; empty otherwise), e.g. to measure their memory. */
  socketProcessIds(): number[];
  /** Closes every socket with 1001 (firing $disconnect), then the server. */
  stop(): Promise<void>;
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
 *
 * This is the per-API half; the sockets themselves are a SocketHost's
 * (socket-keeper.ts): this process's, or socket holder processes'.
 */
export async function startWebSocketGateway(options: WebSocketGatewayOptions): Promise<WebSocketGateway> {
  const { stage, apiId, routes, invoke } = options;
  const host = options.host ?? loopbackHost;
  const log = options.log ?? consoleLog;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const limits = resolveGatewayLimits(options.limits);
  const routeKeys = new Set(Object.keys(routes));
  const pendingUpgrades = new Set<Duplex>();
  const pendingDisconnects = new Set<Promise<void>>();
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

  const socketProcesses = options.socketProcesses ?? 1;
  if (!Number.isInteger(socketProcesses) || socketProcesses < 1)
    throw new Error(`socketProcesses must be a whole number of processes, 1 or more (got ${socketProcesses}); leave it out for one`);
  const hostEvents = {
    onText: (facts: ConnectionFacts, text: string) => onMessage(facts, text),
    onClosed: (facts: ConnectionFacts, code: number, reason: string) => {
      scheduler.drop(facts.connectionId);
      void trackDisconnect(facts, code, reason);
    },
  };
  const sockets: SocketHost =
    socketProcesses === 1
      ? createSocketKeeper({ limits, clock, timers, log, ...hostEvents })
      : await startSocketHolders({ count: socketProcesses, limits, clock, log, ...hostEvents });

  const server: Server = createServer();
  // Longer than the SDK's idle keep-alive sockets live, so a reused socket is never closed under a request.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  let deliveries = 0;
  const handleManagementRequest = createManagementApi({
    stage,
    ...(options.authorizeManagement && { authorize: options.authorizeManagement }),
    apply: (call) => sockets.apply(call),
    maxPostBytes: limits.maxPostBytes,
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

    sockets.adopt(request, socket, head, facts, subprotocol);
  }

  function onMessage(facts: ConnectionFacts, body: string) {
    const routeKey = selectRouteKey(body, routeKeys);
    const { connectionId } = facts;
    if (routeKey === undefined) {
      return answer(connectionId, JSON.stringify({ message: "Forbidden", connectionId, requestId: newRequestId() }));
    }
    const event = messageEvent(facts, routeKey, body, clock.now());
    const queued = scheduler.submit(connectionId, () => invokeRoute(connectionId, routeKey, event));
    if (!queued) {
      // API Gateway answers throttled messages with 429 "Too Many Requests"; over
      // WebSocket that is an error frame in the shape of its others. The message
      // is dropped and the connection stays, so the client can slow down.
      log(
        "warn",
        `dropped a message on ${connectionId}: ${limits.maxQueuedMessagesPerConnection} already wait for their route; answered "Too Many Requests"`,
      );
      answer(connectionId, JSON.stringify({ message: "Too Many Requests", connectionId, requestId: event.requestContext.requestId }));
    }
  }

  async function invokeRoute(connectionId: string, routeKey: string, event: WebSocketEvent) {
    if (!sockets.isOpen(connectionId)) return; // closed while this message waited its turn
    const route = routes[routeKey]!;
    let result: unknown;
    try {
      result = await invoke(route.function, event);
    } catch {
      // The invoker logged the error; the client gets API Gateway's generic frame and keeps its connection.
      return answer(
        connectionId,
        JSON.stringify({ message: "Internal server error", connectionId, requestId: event.requestContext.requestId }),
      );
    }
    if (!route.routeResponse) return;
    const reply = routeResponseBody(result);
    if (reply !== undefined) answer(connectionId, reply);
  }

  /** A frame from the gateway itself; like a post, it never waits for the reader. */
  const answer = (connectionId: string, text: string) => sockets.answer(connectionId, text);

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

  const port = await listen(server, options.port ?? 0, host).catch(async (error: unknown) => {
    await sockets.close(); // no holder process outlives a gateway that could not start
    throw error;
  });
  server.on("error", (error) => log("error", `WebSocket gateway server error: ${describeError(error)}`));
  const base = `${urlHost(host)}:${port}/${stage}`;

  async function stop() {
    for (const socket of pendingUpgrades) socket.destroy();
    pendingUpgrades.clear();
    await sockets.closeAll(options.stopGraceMs ?? 1000);
    while (pendingDisconnects.size > 0) await Promise.all([...pendingDisconnects]);
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Idle keep-alive sockets from SDK clients would otherwise hold close() open.
      server.closeAllConnections();
    });
    await sockets.close();
  }

  return {
    url: `ws://${base}`,
    managementEndpoint: `http://${base}`,
    port,
    connections: () => sockets.connections(),
    socketProcessIds: () => sockets.processIds(),
    deliveries: () => deliveries,
    stop: () => (stopping ??= stop()),
  };
}

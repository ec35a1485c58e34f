import type { IncomingHttpHeaders } from "node:http";
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { WebSocket } from "ws";
import type { WebSocketRouteDecl } from "@pushgate/core";
import { startWebSocketGateway, type GatewayLimits, type WebSocketEvent, type WebSocketGateway } from "../../src/gateway";
import { createInvoker } from "../../src/invoke";
import { collectingLog, FakeTime } from "../invoke/fake-time";

export type TestHandler = (event: WebSocketEvent) => unknown;

/** A route whose handler is the test's own function (looked up by this handler path). */
export const route = (key: string, routeResponse = false): WebSocketRouteDecl => ({
  function: { handler: `test/routes/${key.replace("$", "")}.handler`, timeoutSeconds: 5, memoryMB: 128, grants: {} },
  routeResponse,
});

/** Resolves when `predicate` becomes true of the recorded events; the test timeout bounds it. */
class EventRecorder {
  readonly events: WebSocketEvent[] = [];
  private waiters: { predicate: () => boolean; resolve: () => void }[] = [];

  record(event: WebSocketEvent) {
    this.events.push(event);
    this.waiters = this.waiters.filter((waiter) => (waiter.predicate() ? (waiter.resolve(), false) : true));
  }

  of(routeKey: string) {
    return this.events.filter((event) => event.requestContext.routeKey === routeKey);
  }

  async waitFor(routeKey: string, count = 1): Promise<WebSocketEvent> {
    const predicate = () => this.of(routeKey).length >= count;
    if (!predicate()) await new Promise<void>((resolve) => this.waiters.push({ predicate, resolve }));
    return this.of(routeKey)[count - 1]!;
  }
}

export interface TestGatewayOptions {
  routes: Record<string, { routeResponse?: boolean; handler?: TestHandler }>;
  limits?: Partial<GatewayLimits>;
  newConnectionId?: () => string;
  /** Called for every log line, e.g. to advance a fake clock when throttled. */
  onLog?: (level: string, message: string) => void;
  /** Socket holder processes (default 1: the sockets stay in this process); their timers are real, not `time`. */
  socketProcesses?: number;
}

export async function startTestGateway(options: TestGatewayOptions) {
  const time = new FakeTime();
  const recorder = new EventRecorder();
  const logs = collectingLog();
  const log = (level: "debug" | "info" | "warn" | "error", message: string) => {
    logs.log(level, message);
    options.onLog?.(level, message);
  };
  const handlers = new Map<string, TestHandler>();
  const routes: Record<string, WebSocketRouteDecl> = {};
  for (const [key, spec] of Object.entries(options.routes)) {
    routes[key] = route(key, spec.routeResponse ?? false);
    handlers.set(routes[key].function.handler, spec.handler ?? (() => undefined));
  }
  const invoke = createInvoker({
    loadHandler: async (fn) => async (event: WebSocketEvent) => {
      recorder.record(event);
      return handlers.get(fn.handler)!(event);
    },
    log,
  });
  const gateway: WebSocketGateway = await startWebSocketGateway({
    stage: "local",
    apiId: "pushgatelocal",
    routes,
    invoke,
    limits: options.limits,
    log,
    clock: time,
    timers: time,
    newConnectionId: options.newConnectionId,
    socketProcesses: options.socketProcesses,
  });
  const management = new ApiGatewayManagementApiClient({
    endpoint: gateway.managementEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const sockets: WebSocket[] = [];
  return {
    gateway,
    time,
    recorder,
    logs,
    management,
    /** Opens a client; rejects with ws's handshake error (e.g. "Unexpected server response: 401"). */
    connect(options: { path?: string; protocols?: string[]; headers?: IncomingHttpHeaders } = {}) {
      const url = options.path ? gateway.url.replace(/\/local$/, options.path) : gateway.url;
      const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers as Record<string, string> });
      sockets.push(ws);
      const messages = messageQueue(ws);
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
      );
      const opened = new Promise<WebSocket>((resolve, reject) => {
        ws.once("open", () => resolve(ws));
        ws.on("error", reject);
      });
      return Object.assign(opened, { ws, nextMessage: messages.next, closed });
    },
    async stop() {
      management.destroy();
      for (const ws of sockets) ws.terminate();
      await gateway.stop();
    },
  };
}

/** Text frames in arrival order; next() waits for the next one. */
function messageQueue(ws: WebSocket) {
  const queued: string[] = [];
  const waiting: ((text: string) => void)[] = [];
  ws.on("message", (data) => {
    const text = data.toString();
    const waiter = waiting.shift();
    if (waiter) waiter(text);
    else queued.push(text);
  });
  return {
    next: () => new Promise<string>((resolve) => (queued.length > 0 ? resolve(queued.shift()!) : waiting.push(resolve))),
  };
}

export type TestGateway = Awaited<ReturnType<typeof startTestGateway>>;

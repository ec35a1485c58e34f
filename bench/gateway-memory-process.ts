/**
 * The gateway emulator alone in its own process, for its memory per open
 * connection: every route answers 200 at once (no handler, no SDK, no
 * DynamoDB), so the process's growth per socket is the gateway's own (the
 * `ws` socket, its GatewayConnection, its idle and lifetime timers). Asked
 * over IPC, it reports its memory after a full GC.
 *
 * Started by scenarios/gateway-memory.ts with `fork(..., { execArgv: ["--import", "tsx", "--expose-gc"] })`.
 */
import { startWebSocketGateway } from "@pushgate/local/gateway";
import { quietLog } from "@pushgate/local/log";
import { topology } from "@pushgate/core/topology";

const gateway = await startWebSocketGateway({
  stage: "local",
  apiId: "memory",
  routes: topology.websocket.routes,
  invoke: async () => ({ statusCode: 200 }),
  log: quietLog,
  // The fan processes open sockets fast; the quota is not what this measures.
  limits: { connectionsPerSecond: 100_000 },
});

const gc = (globalThis as { gc?: () => void }).gc;
process.on("message", (message: { type: "memory"; id: number }) => {
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  process.send?.({
    id: message.id,
    connections: gateway.connections().length,
    rssMB: usage.rss / 2 ** 20,
    heapUsedMB: usage.heapUsed / 2 ** 20,
    externalMB: usage.external / 2 ** 20,
  });
});
process.on("disconnect", () => void gateway.stop().finally(() => process.exit(0)));
process.send?.({ type: "ready", url: gateway.url });

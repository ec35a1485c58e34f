/**
 * A TCP proxy between the page and the gateway that can stop forwarding
 * without closing anything: what a NAT that forgot the flow, a phone waking
 * up or a captive portal does to a WebSocket. The sockets stay open; bytes in
 * either direction are dropped while it is stalled, for the connections open
 * now and for new ones (whose handshake then hangs).
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";

export interface StallProxy {
  /** `target` (a ws:// URL) with its host and port replaced by the proxy's. */
  url: string;
  stalled: boolean;
  /** Connections accepted so far. */
  accepted: number;
  stop(): Promise<void>;
}

export async function startStallProxy(target: string): Promise<StallProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const proxy = { stalled: false, accepted: 0 };
  const server: Server = createServer((client) => {
    proxy.accepted++;
    const server = createConnection({ host: upstream.hostname, port: Number(upstream.port) });
    for (const [from, to] of [
      [client, server],
      [server, client],
    ] as const) {
      sockets.add(from);
      from.on("data", (chunk) => {
        if (!proxy.stalled) to.write(chunk);
      });
      from.on("close", () => {
        sockets.delete(from);
        // Only a proxy that forwards passes a close on; a stalled path is silent.
        if (!proxy.stalled) to.destroy();
      });
      from.on("error", () => {});
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(target);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as AddressInfo).port);
  return Object.assign(proxy, {
    url: url.toString(),
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

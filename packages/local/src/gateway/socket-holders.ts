/**
 * The gateway's front side of socket holder processes (`socketProcesses` > 1):
 * forks the holders, hands each socket $connect accepted to the least-loaded
 * one (its descriptor passed over IPC, so this process keeps none), and
 * relays between the front and the holders (holder-protocol.ts): messages and
 * closes up, answers and Management API calls down.
 *
 * It keeps a record per connection (facts, holder, last activity) so that
 * routes and $disconnect events are built here, an unknown id is answered 410
 * without a hop, and `connections()` needs no round trip.
 *
 * A holder that dies takes its connections with it: their $disconnect runs
 * with 1006 and new connections go to the others.
 */
import { fork, type ChildProcess } from "node:child_process";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { resolve } from "node:path";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Clock } from "../invoke/clock";
import { bundleProcessEntry } from "../invoke/handler-loader";
import type { Log } from "../log";
import type { ConnectionInfo } from "./connection";
import type { ConnectionFacts } from "./events";
import type { FrontToHolder, HolderSettings, HolderToFront } from "./holder-protocol";
import type { GatewayLimits } from "./limits";
import { goneOutcome, type ManagementCall, type ManagementOutcome } from "./management-calls";
import type { SocketHost, SocketKeeperEvents } from "./socket-keeper";

const HOLDER_SOURCE = fileURLToPath(new URL("./socket-holder-process.ts", import.meta.url));
/** Where esbuild runs and the bundle is written: the repository root, whose node_modules has `ws`. */
const REPO_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../../..");
/** A holder that has not said "ready" by then (a very loaded machine) fails the start. */
const READY_TIMEOUT_MS = 60_000;
/** How long a holder may take to exit after its channel closed before it is killed. */
const EXIT_GRACE_MS = 5_000;

export interface SocketHoldersOptions extends SocketKeeperEvents {
  count: number;
  limits: GatewayLimits;
  clock: Clock;
  log: Log;
}

interface Holder {
  child: ChildProcess;
  pid: number;
  /** Connections handed to it and not yet reported closed. */
  load: number;
  alive: boolean;
  /** Requests waiting for their reply; called with undefined if the holder dies first. */
  waiting: Map<number, (reply: HolderToFront | undefined) => void>;
}

interface HeldConnection {
  facts: ConnectionFacts;
  holder: Holder;
  lastActiveAt: number;
}

export async function startSocketHolders(options: SocketHoldersOptions): Promise<SocketHost> {
  const { clock, log } = options;
  const entry = await bundleProcessEntry(HOLDER_SOURCE, "socket-holder", REPO_ROOT);
  const settings: HolderSettings = { limits: options.limits };
  const held = new Map<string, HeldConnection>();
  let nextRequestId = 1;
  let stopping = false;

  const holders: Holder[] = [];
  const readies: Promise<void>[] = [];
  for (let index = 0; index < options.count; index++) {
    const child = fork(entry, [JSON.stringify(settings)], {
      // Not this process's flags: under vitest or tsx they load loaders the bundle does not need.
      execArgv: [],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const holder: Holder = { child, pid: child.pid ?? 0, load: 0, alive: true, waiting: new Map() };
    holders.push(holder);
    readies.push(
      new Promise<void>((resolveReady, rejectReady) => {
        const timer = setTimeout(
          () => rejectReady(new Error(`socket holder process ${holder.pid} did not start within ${READY_TIMEOUT_MS} ms`)),
          READY_TIMEOUT_MS,
        );
        child.once("message", () => (clearTimeout(timer), resolveReady()));
        child.once("exit", (code, signal) => {
          clearTimeout(timer);
          rejectReady(new Error(`socket holder process ${holder.pid} exited at start (${signal ?? `code ${code}`}); see its output above`));
        });
      }),
    );
    child.on("message", (message: HolderToFront) => onHolderMessage(holder, message));
    child.on("exit", (code, signal) => onHolderExit(holder, code, signal));
    child.on("error", (error) => log("debug", `socket holder process ${holder.pid}: ${error.message}`));
  }
  try {
    await Promise.all(readies);
  } catch (error) {
    await stopHolders();
    throw new Error(
      `the gateway could not start its ${options.count} socket holder processes: ${(error as Error).message}. Run without socketProcesses (one process) or fix the cause and start again`,
    );
  }

  function onHolderMessage(holder: Holder, message: HolderToFront) {
    switch (message.type) {
      case "message": {
        const connection = held.get(message.connectionId);
        if (!connection) return;
        connection.lastActiveAt = clock.now();
        return options.onText(connection.facts, message.text);
      }
      case "closed": {
        const connection = forget(message.connectionId, holder);
        if (connection) options.onClosed(connection.facts, message.code, message.reason);
        return;
      }
      case "managed":
      case "closed-all": {
        const waiter = holder.waiting.get(message.requestId);
        holder.waiting.delete(message.requestId);
        return waiter?.(message);
      }
      case "log":
        return log(message.level, message.message);
    }
  }

  function onHolderExit(holder: Holder, code: number | null, signal: string | null) {
    holder.alive = false;
    for (const waiter of holder.waiting.values()) waiter(undefined);
    holder.waiting.clear();
    const lost = [...held.values()].filter((connection) => connection.holder === holder);
    for (const connection of lost) {
      forget(connection.facts.connectionId, holder);
      options.onClosed(connection.facts, 1006, "Connection closed abnormally");
    }
    if (stopping) return;
    log(
      "error",
      `socket holder process ${holder.pid} exited (${signal ?? `code ${code}`}): its ${lost.length} connections are gone (their $disconnect ran with 1006; clients reconnect). ` +
        `The other ${holders.filter((other) => other.alive).length} holders keep serving; see the holder's output above for why, and restart the local cloud to get all ${options.count} back`,
    );
  }

  function forget(connectionId: string, holder: Holder): HeldConnection | undefined {
    const connection = held.get(connectionId);
    if (!connection || connection.holder !== holder) return undefined;
    held.delete(connectionId);
    holder.load -= 1;
    return connection;
  }

  function post(holder: Holder, message: FrontToHolder, handle?: Socket, onSent?: (error: Error | null) => void): boolean {
    if (!holder.alive || !holder.child.connected) return false;
    holder.child.send(message, handle, (error) => {
      if (error) log("debug", `socket holder process ${holder.pid}: could not send "${message.type}": ${error.message}`);
      onSent?.(error);
    });
    return true;
  }

  function request(holder: Holder, make: (requestId: number) => FrontToHolder): Promise<HolderToFront | undefined> {
    const requestId = nextRequestId++;
    return new Promise((resolveReply) => {
      holder.waiting.set(requestId, resolveReply);
      if (!post(holder, make(requestId))) {
        holder.waiting.delete(requestId);
        resolveReply(undefined);
      }
    });
  }

  async function stopHolders() {
    stopping = true;
    await Promise.all(
      holders.map(
        ({ child }) =>
          new Promise<void>((resolveExit) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
            const timer = setTimeout(() => child.kill("SIGKILL"), EXIT_GRACE_MS);
            child.once("exit", () => (clearTimeout(timer), resolveExit()));
            // Holders exit when their channel closes.
            if (child.connected) child.disconnect();
            else child.kill("SIGTERM");
          }),
      ),
    );
  }

  return {
    adopt(upgrade: IncomingMessage, socket: Duplex, head: Buffer, facts: ConnectionFacts, subprotocol: string | undefined) {
      const holder = holders.filter((candidate) => candidate.alive).sort((a, b) => a.load - b.load)[0];
      if (!holder) {
        socket.destroy();
        log("error", "no socket holder process is running to take a new connection (they all exited; see above); restart the local cloud");
        return options.onClosed(facts, 1006, "Connection closed abnormally");
      }
      const connection = socket as Socket;
      // Bytes this process already read past the request line and headers
      // go along with the handle: the holder's socket starts at the kernel's
      // next byte, and anything left here would be lost.
      const read: Buffer[] = [head];
      for (let chunk: Buffer | null; (chunk = connection.read() as Buffer | null) !== null; ) read.push(chunk);
      // And no more is read here: until the handle is closed (after the
      // holder's acknowledgement) both processes could read the descriptor.
      (connection as unknown as { _handle?: { readStop?(): number } })._handle?.readStop?.();
      held.set(facts.connectionId, { facts, holder, lastActiveAt: facts.connectedAt });
      holder.load += 1;
      // Sent as a bare socket, not as the server's: Node would otherwise make
      // the holder a "worker" of the server, whose close() then waits for
      // the holders and never returns once the last of them has exited.
      const served = connection as unknown as { server: unknown };
      const server = served.server;
      served.server = null;
      const lost = () => forget(facts.connectionId, holder) && options.onClosed(facts, 1006, "Connection closed abnormally");
      const sent = post(
        holder,
        {
          type: "adopt",
          facts,
          request: { method: upgrade.method ?? "GET", url: upgrade.url ?? "/", headers: upgrade.headers },
          head: Buffer.concat(read).toString("base64"),
          subprotocol,
        },
        connection,
        (error) => {
          // Only now is the handle detached (a send can wait in the channel's
          // queue, the socket still whole): this closes no descriptor, it lets
          // the server count the connection as gone.
          connection.destroy();
          if (error) lost();
        },
      );
      if (!sent) {
        served.server = server;
        socket.destroy();
        lost();
      }
    },

    isOpen: (connectionId) => held.has(connectionId),

    answer(connectionId, text) {
      const connection = held.get(connectionId);
      if (connection) post(connection.holder, { type: "answer", connectionId, text });
    },

    async apply(call: ManagementCall): Promise<ManagementOutcome> {
      const connection = held.get(call.connectionId);
      if (!connection) return goneOutcome(call.connectionId);
      const reply = await request(connection.holder, (requestId) => ({
        type: "manage",
        requestId,
        call: { ...call, body: call.body.toString("base64") },
      }));
      // A holder that died with the call in flight took the connection with it.
      return reply?.type === "managed" ? reply.outcome : goneOutcome(call.connectionId);
    },

    connections: (): ConnectionInfo[] =>
      [...held.values()].map(({ facts, lastActiveAt }) => ({
        connectionId: facts.connectionId,
        connectedAt: facts.connectedAt,
        lastActiveAt,
        sourceIp: facts.sourceIp,
        userAgent: facts.userAgent,
      })),

    async closeAll(graceMs) {
      await Promise.all(holders.map((holder) => request(holder, (requestId) => ({ type: "close-all", requestId, graceMs }))));
    },

    close: stopHolders,

    processIds: () => holders.filter((holder) => holder.alive).map((holder) => holder.pid),
  };
}

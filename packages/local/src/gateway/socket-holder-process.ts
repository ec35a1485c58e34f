/**
 * A socket holder: a child process of the gateway's front that owns
 * WebSocket sockets after $connect accepted them (socket-holders.ts forks it
 * with `socketProcesses` > 1). It completes the handshake on the handle the
 * front passed, then keeps the connection by the in-process gateway's rules
 * (socket-keeper.ts) and tells the front what the client sent and when the
 * socket closed; routes, $disconnect and the Management API's HTTP side stay
 * in the front (holder-protocol.ts lists what crosses).
 *
 * It exits when its IPC channel closes, so a front that stops, crashes or is
 * interrupted leaves no holder behind.
 */
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { systemClock, systemTimers } from "../invoke/clock";
import { describeError, type LogLevel } from "../log";
import type { FrontToHolder, HolderSettings, HolderToFront } from "./holder-protocol";
import { createSocketKeeper } from "./socket-keeper";

const send = (message: HolderToFront) => {
  if (process.connected) process.send!(message);
};
const log = (level: LogLevel, message: string) => send({ type: "log", level, message: `socket holder ${process.pid}: ${message}` });

if (!process.send) {
  console.error("socket-holder-process runs as a child of the local gateway (socketProcesses > 1); start the gateway instead");
  process.exit(2);
}
const settings = JSON.parse(process.argv[2] ?? "{}") as HolderSettings;

const keeper = createSocketKeeper({
  limits: settings.limits,
  clock: systemClock,
  timers: systemTimers,
  log,
  onText: (facts, text) => send({ type: "message", connectionId: facts.connectionId, text }),
  onClosed: (facts, code, reason) => send({ type: "closed", connectionId: facts.connectionId, code, reason }),
});

function adopt(message: Extract<FrontToHolder, { type: "adopt" }>, socket: Socket | undefined) {
  const { connectionId } = message.facts;
  const abnormal = () => send({ type: "closed", connectionId, code: 1006, reason: "Connection closed abnormally" });
  if (!socket || socket.destroyed || !socket.readable || !socket.writable) {
    // The client left while the socket crossed (ws would drop it silently): the front still runs $disconnect.
    socket?.destroy();
    return abnormal();
  }
  socket.on("error", (error) => log("debug", `client socket error during the handshake: ${describeError(error)}`));
  let opened = false;
  // ws refuses some handshakes without calling back (a malformed Sec-WebSocket-Protocol): the front must still forget it.
  socket.once("close", () => opened || abnormal());
  const request = { ...message.request, socket } as unknown as IncomingMessage;
  keeper.adopt(request, socket, Buffer.from(message.head, "base64"), message.facts, message.subprotocol);
  opened = keeper.isOpen(connectionId);
}

process.on("message", (message: FrontToHolder, socket?: Socket) => {
  switch (message.type) {
    case "adopt":
      return adopt(message, socket);
    case "answer":
      return keeper.answer(message.connectionId, message.text);
    case "manage": {
      const outcome = keeper.apply({ ...message.call, body: Buffer.from(message.call.body, "base64") });
      return send({ type: "managed", requestId: message.requestId, outcome });
    }
    case "close-all":
      return void keeper.closeAll(message.graceMs).then(() => send({ type: "closed-all", requestId: message.requestId }));
  }
});

process.on("disconnect", () => process.exit(0));
send({ type: "ready" });

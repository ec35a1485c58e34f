/**
 * The canary's WebSocket (ports.ts FanSocket) over `ws`: the same handshake a
 * browser makes, subprotocols included. `ws` rather than the global
 * WebSocket: the local cloud's sandboxes run on Node 20, which has none.
 */
import WebSocket from "ws";
import type { FanSocket, OpenFanSocket } from "../ports";

export const openWsFanSocket: OpenFanSocket = (url, protocols) =>
  new Promise<FanSocket>((resolve, reject) => {
    const socket = new WebSocket(url, protocols);
    let closing = false;
    socket.once("unexpected-response", (_request, response) => {
      reject(new Error(`the handshake was answered ${response.statusCode} ${response.statusMessage ?? ""}`.trim()));
      socket.terminate();
    });
    socket.once("error", (error) => reject(error));
    socket.once("open", () =>
      resolve({
        send: (text) => socket.send(text),
        onFrame: (listener) => void socket.on("message", (data, isBinary) => void (!isBinary && listener(data.toString()))),
        onClose: (listener) => void socket.once("close", (code) => void (!closing && listener(code))),
        close: () => {
          closing = true;
          socket.close(1000);
        },
      }),
    );
  });

/**
 * A fan as the integration tests drive one: a real `ws` socket to the local
 * API Gateway offering protocol v1's subprotocols, frames collected as they
 * arrive, and waits that end on a frame (never on a timer the test asserts).
 */
import WebSocket from "ws";
import { SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, type ServerFrame } from "@pushgate/core/wire";

export interface Fan {
  socket: WebSocket;
  frames: ServerFrame[];
  /** Resolves with the first frame (already received or coming) that matches. */
  next<T extends ServerFrame>(match: (frame: ServerFrame) => frame is T): Promise<T>;
  next(match: (frame: ServerFrame) => boolean): Promise<ServerFrame>;
  /** Sends a frame with an id and resolves with the answer carrying that id. */
  request(frame: Record<string, unknown> & { id: string }): Promise<ServerFrame>;
  close(): Promise<void>;
}

export async function connectFan(websocketUrl: string, token: string): Promise<Fan> {
  const socket = new WebSocket(websocketUrl, [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`]);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) => reject(new Error(`handshake refused with ${response.statusCode}`)));
  });
  const frames: ServerFrame[] = [];
  const waiters: { match: (frame: ServerFrame) => boolean; resolve: (frame: ServerFrame) => void }[] = [];
  socket.on("message", (data) => {
    const frame = JSON.parse(String(data)) as ServerFrame;
    frames.push(frame);
    for (const waiter of [...waiters]) {
      if (waiter.match(frame)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    }
  });
  const next = (match: (frame: ServerFrame) => boolean) =>
    new Promise<ServerFrame>((resolve) => {
      const seen = frames.find(match);
      if (seen) resolve(seen);
      else waiters.push({ match, resolve });
    });
  return {
    socket,
    frames,
    next: next as Fan["next"],
    request(frame) {
      socket.send(JSON.stringify(frame));
      return next((answer) => "id" in answer && answer.id === frame.id);
    },
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => socket.once("close", resolve));
      socket.close(1000);
      await closed;
    },
  };
}

/** The handshake's HTTP status when the gateway refuses it. */
export function refusedStatus(websocketUrl: string, protocols: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(websocketUrl, protocols);
    socket.once("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once("open", () => {
      socket.terminate();
      reject(new Error("the handshake was accepted"));
    });
    socket.once("error", () => {});
  });
}

export const isMessage =
  (topic: string, seq?: number) =>
  (frame: ServerFrame): frame is Extract<ServerFrame, { type: "message" }> =>
    frame.type === "message" && frame.topic === topic && (seq === undefined || frame.seq === seq);

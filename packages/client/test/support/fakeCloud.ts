/**
 * A small fake pushgate on real sockets: one node:http server on port 0 that
 * serves `POST /session`, `GET /snapshots`, presigned-looking snapshot GETs
 * (with ETags and expiring signatures) and the WebSocket API through `ws`.
 * The client under test talks to it exactly as it talks to API Gateway and S3.
 */
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { ClientFrame, MessageFrame, ServerFrame } from "@pushgate/core/wire";

export interface SessionRecord {
  authorization: string | undefined;
  token: string;
  fanId: string;
}

export interface SnapshotGet {
  topic: string;
  ifNoneMatch: string | undefined;
  status: number;
}

export class FakeConnection {
  readonly frames: ClientFrame[] = [];
  closed: { code: number; reason: string } | undefined;
  /** A stalled path (a NAT that forgot the flow): the socket stays open, but nothing reaches the client any more. */
  stalled = false;

  constructor(
    readonly socket: WebSocket,
    readonly token: string,
    readonly offeredProtocols: string[],
    private readonly changed: () => void,
  ) {
    socket.on("message", (data) => {
      this.frames.push(JSON.parse(String(data)) as ClientFrame);
      this.changed();
    });
    socket.on("close", (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.changed();
    });
  }

  send(frame: ServerFrame | Record<string, unknown>): void {
    if (this.stalled) return;
    this.socket.send(JSON.stringify(frame));
  }

  sendRaw(text: string): void {
    this.socket.send(text);
  }

  framesOf<A extends ClientFrame["action"]>(action: A): Extract<ClientFrame, { action: A }>[] {
    return this.frames.filter((frame): frame is Extract<ClientFrame, { action: A }> => frame.action === action);
  }

  subscribedTopics(): string[] {
    return this.framesOf("subscribe").flatMap((frame) => frame.topics);
  }
}

export interface FakeCloudOptions {
  /** The client's virtual clock, so token expiry follows the test's time. */
  now: () => number;
  tokenTtlMs?: number;
  /** Answer `subscribe` with a `subscribed` ack (current seq and snapshot URL). Default true. */
  autoAck?: boolean;
  /** Answer `ping` with `pong`. Default true. */
  autoPong?: boolean;
}

export class FakeCloud {
  readonly sessions: SessionRecord[] = [];
  readonly snapshotUrlRequests: { topics: string[]; authorization: string | undefined }[] = [];
  readonly snapshotGets: SnapshotGet[] = [];
  readonly connections: FakeConnection[] = [];
  /** Handshakes refused, with the status answered. */
  readonly refusedHandshakes: number[] = [];
  /** While false, every WebSocket handshake is answered 503 (the gateway is down). */
  acceptSockets = true;
  /** While true, every WebSocket handshake is left unanswered (a captive portal, black-holed WebSockets). */
  hangHandshakes = false;
  /** Handshakes left unanswered so far. */
  hungHandshakes = 0;
  autoAck: boolean;
  autoPong: boolean;
  /** Tokens the gateway refuses even before they expire (a rotated key). */
  readonly revokedTokens = new Set<string>();
  /** Snapshot URLs signed up to this number are refused by "S3" with 403 (expired). */
  private expiredUpTo = 0;
  /** Answer `unsubscribe` with `unsubscribed` (tests of ordering hold it back). */
  autoUnsubscribed = true;
  /** While true, `GET /snapshots` answers 503. */
  failSnapshotUrls = false;
  /** Topics `GET /snapshots` refuses (FORBIDDEN, as another fan's job), each alone. */
  readonly forbiddenTopics = new Set<string>();

  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true, handleProtocols: () => "pushgate.v1" });
  private readonly changes = new EventEmitter();
  private readonly tokens = new Map<string, { fanId: string; expiresAt: number }>();
  private readonly seqs = new Map<string, number>();
  private readonly snapshots = new Map<string, MessageFrame>();
  private readonly sockets = new Set<Socket>();
  private signatureCounter = 0;
  private fanCounter = 0;
  private tokenCounter = 0;

  private constructor(private readonly options: FakeCloudOptions) {
    this.autoAck = options.autoAck ?? true;
    this.autoPong = options.autoPong ?? true;
    this.changes.setMaxListeners(100);
    this.server = createServer((request, response) => this.handleHttp(request, response));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    this.server.on("upgrade", (request, socket, head) => this.handleUpgrade(request, socket as Socket, head));
  }

  static async start(options: FakeCloudOptions): Promise<FakeCloud> {
    const cloud = new FakeCloud(options);
    await new Promise<void>((resolve) => cloud.server.listen(0, "127.0.0.1", resolve));
    return cloud;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }
  get httpApiUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get websocketUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** Connections still open. */
  get open(): FakeConnection[] {
    return this.connections.filter((connection) => connection.closed === undefined);
  }

  /** A publication: bump the seq, write the snapshot, push to every connection subscribed. */
  publish(topic: string, data: Record<string, unknown>, options: { push?: boolean } = {}): MessageFrame {
    const seq = (this.seqs.get(topic) ?? 0) + 1;
    this.seqs.set(topic, seq);
    const frame = {
      type: "message",
      topic,
      seq,
      kind: topic.startsWith("queue/") ? "queue-position" : topic.startsWith("job/") ? "result-ready" : "score-update",
      data,
      ts: new Date(this.options.now()).toISOString(),
    } as unknown as MessageFrame;
    this.snapshots.set(topic, frame);
    if (options.push !== false) {
      for (const connection of this.open) {
        if (connection.subscribedTopics().includes(topic)) connection.send(frame);
      }
    }
    this.changed();
    return frame;
  }

  /** Bump a topic's seq as a source write would, without writing its snapshot yet. */
  bumpSeqOnly(topic: string): void {
    this.seqs.set(topic, (this.seqs.get(topic) ?? 0) + 1);
  }

  seqOf(topic: string): number {
    return this.seqs.get(topic) ?? 0;
  }

  issueTokenExpiry(token: string): number | undefined {
    return this.tokens.get(token)?.expiresAt;
  }

  /** Resolve once `check` holds, re-checking on every request, frame and connection. */
  until<T>(check: () => T | undefined | false, what: string, extra?: EventEmitter): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const evaluate = () => {
        const value = check();
        if (value !== undefined && value !== false) {
          cleanup();
          resolve(value);
        }
      };
      // Only a guard against a hung test, so it fails with a message; correctness never waits on it.
      const guard = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for: ${what}`));
      }, 5_000);
      const cleanup = () => {
        clearTimeout(guard);
        this.changes.off("change", evaluate);
        extra?.off("change", evaluate);
      };
      this.changes.on("change", evaluate);
      extra?.on("change", evaluate);
      evaluate();
    });
  }

  changed(): void {
    this.changes.emit("change");
  }

  async stop(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- HTTP ------------------------------------------------------------------

  private handleHttp(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", this.httpApiUrl);
    const authorization = request.headers.authorization;
    const json = (status: number, body: unknown) => {
      // The Date header is on the fake's clock (the test's), as a real server's is on its own: the client measures skew from it.
      response.writeHead(status, { "content-type": "application/json", date: new Date(this.options.now()).toUTCString() });
      response.end(JSON.stringify(body));
    };
    request.resume();
    request.on("end", () => {
      if (request.method === "POST" && url.pathname === "/session") {
        const previous = authorization?.replace(/^Bearer /, "");
        const known = previous === undefined ? undefined : this.tokens.get(previous);
        const fanId = known?.fanId ?? `fan-${++this.fanCounter}`;
        const token = `tok-${++this.tokenCounter}`;
        const expiresAt = this.options.now() + (this.options.tokenTtlMs ?? 15 * 60_000);
        this.tokens.set(token, { fanId, expiresAt });
        this.sessions.push({ authorization, token, fanId });
        json(200, { token, fanId, expiresAt: new Date(expiresAt).toISOString() });
      } else if (request.method === "GET" && url.pathname === "/snapshots") {
        const topics = (url.searchParams.get("topics") ?? "").split(",").filter(Boolean);
        this.snapshotUrlRequests.push({ topics, authorization });
        if (this.failSnapshotUrls) json(503, { message: "try later" });
        else if (!this.validToken(authorization?.replace(/^Bearer /, ""))) json(401, { message: "bad token" });
        else {
          const refused = topics.filter((topic) => this.forbiddenTopics.has(topic));
          json(200, {
            snapshots: topics.filter((topic) => !refused.includes(topic)).map((topic) => ({ topic, url: this.signSnapshotUrl(topic) })),
            ...(refused.length > 0 && { refused: refused.map((topic) => ({ topic, code: "FORBIDDEN", message: "not your job" })) }),
          });
        }
      } else if (request.method === "GET" && url.pathname.startsWith("/s3/snapshots/")) {
        this.serveSnapshot(url, request, response);
      } else {
        json(404, { message: "no such route" });
      }
      this.changed();
    });
  }

  private serveSnapshot(url: URL, request: IncomingMessage, response: ServerResponse): void {
    const topic = decodeURIComponent(url.pathname.slice("/s3/snapshots/".length).replace(/\.json$/, ""));
    const ifNoneMatch = request.headers["if-none-match"];
    const record = (status: number) => this.snapshotGets.push({ topic, ifNoneMatch, status });
    if (Number((url.searchParams.get("sig") ?? "s0").slice(1)) <= this.expiredUpTo) {
      record(403);
      response.writeHead(403, { "content-type": "application/xml" }).end("<Error><Code>AccessDenied</Code></Error>");
      return;
    }
    const snapshot = this.snapshots.get(topic);
    if (!snapshot) {
      record(404);
      response.writeHead(404).end("<Error><Code>NoSuchKey</Code></Error>");
      return;
    }
    const etag = `"${topic}-${snapshot.seq}"`;
    if (ifNoneMatch === etag) {
      record(304);
      response.writeHead(304, { etag }).end();
      return;
    }
    record(200);
    response.writeHead(200, { "content-type": "application/json", etag }).end(JSON.stringify(snapshot));
  }

  /** Every presigned URL handed out so far expires. */
  expireSignedUrls(): void {
    this.expiredUpTo = this.signatureCounter;
  }

  signSnapshotUrl(topic: string): string {
    return `${this.httpApiUrl}/s3/snapshots/${encodeURIComponent(topic)}.json?sig=s${++this.signatureCounter}`;
  }

  private validToken(token: string | undefined): boolean {
    if (token === undefined || this.revokedTokens.has(token)) return false;
    const known = this.tokens.get(token);
    return known !== undefined && this.options.now() < known.expiresAt;
  }

  // ---- WebSocket ------------------------------------------------------------------

  private handleUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    const offered = (request.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
    const token = offered.find((p) => p.startsWith("token."))?.slice("token.".length);
    const refuse = (status: number, text: string) => {
      this.refusedHandshakes.push(status);
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      this.changed();
    };
    if (this.hangHandshakes) {
      this.hungHandshakes++;
      this.changed();
      return;
    }
    if (!this.acceptSockets) return void refuse(503, "Service Unavailable");
    if (!offered.includes("pushgate.v1") || !this.validToken(token)) return void refuse(401, "Unauthorized");
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new FakeConnection(ws, token ?? "", offered, () => this.changed());
      ws.on("message", (data) => this.autoReply(connection, JSON.parse(String(data)) as ClientFrame));
      this.connections.push(connection);
      this.changed();
    });
  }

  private autoReply(connection: FakeConnection, frame: ClientFrame): void {
    if (frame.action === "subscribe" && this.autoAck) {
      connection.send({
        type: "subscribed",
        id: frame.id,
        topics: frame.topics.map((topic) => ({ topic, seq: this.seqOf(topic), snapshotUrl: this.signSnapshotUrl(topic) })),
      });
    } else if (frame.action === "ping" && this.autoPong) {
      connection.send({ type: "pong", id: frame.id });
    } else if (frame.action === "unsubscribe" && this.autoUnsubscribed) {
      connection.send({ type: "unsubscribed", id: frame.id, topics: frame.topics });
    }
  }
}

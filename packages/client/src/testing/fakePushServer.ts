/**
 * The fake push server of `@pushgate/client/testing`: pushgate's WebSocket
 * API, `POST /session`, `GET /snapshots` and the S3 snapshots, in the test
 * process. It owns no socket and no timer: the client under test gets a
 * WebSocket class, a fetch and virtual timers from `clientOptions()`, and the
 * test decides when anything happens (`publish`, `drop`, `stall`,
 * `refuseConnections`, `refuseTopic`, `expireSessions`, `advance`).
 *
 * It speaks the real wire protocol: the client's frames go through the
 * server's own parser (`@pushgate/core/protocol`) and topic rules
 * (`@pushgate/core/topics`), and its frames reach the client as JSON text
 * that the client parses as it would a real one, so a framing bug in the
 * client fails here as it would against API Gateway.
 */
import { authorizeTopic, parseTopic } from "@pushgate/core/topics";
import {
  KIND_OF_TOPIC_TYPE,
  parseClientFrame,
  SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  type ApiErrorCode,
  type ClientFrame,
  type DataByKind,
  type ErrorCode,
  type KindOfTopic,
  type MessageFrame,
  type RefusedTopic,
  type SnapshotsResponse,
  type TopicType,
} from "@pushgate/core/protocol";
import { isPushgateError, toErrorFrame } from "@pushgate/core/errors";
import type { PushClientOptions } from "../clientApi";
import type { FetchLike, OnlineSource, WebSocketConstructor } from "../environment";
import { ABNORMAL_CLOSURE, FakeConnection, FakeSocket, type SocketPeer } from "./fakeConnection";
import { DEFAULT_START, ManualClock, seededRandom } from "./virtualTime";

export interface FakePushServerOptions {
  /** Epoch ms virtual time starts at. Default 2026-11-22T12:00:00Z. */
  now?: number;
  /** How long a session token lives. Default 15 min (the client renews it 60 s before). */
  tokenTtlMs?: number;
  /** Seed of the client's backoff jitter. Default 7. */
  seed?: number;
  /**
   * Called with every step `advance` takes, so the app's own timers move with
   * the client's (e.g. `(ms) => vi.advanceTimersByTime(ms)` for a countdown
   * that reads `Date.now()`).
   */
  onAdvance?: (ms: number) => void;
}

interface TokenRecord {
  fanId: string;
  /** The chain of renewals it belongs to (one per new session). */
  session: string;
  expiresAt: number;
  /** By `expireSessions`: refused everywhere. */
  revoked: boolean;
  /** Traded in for its successor already: a second trade revokes the session. */
  renewed: boolean;
}

/** One `POST /session` the server answered. */
export interface IssuedSession {
  token: string;
  fanId: string;
  expiresAt: number;
  /** The token it renewed, when it was a renewal (the fan id carries over). */
  renewed?: string;
}

/** One HTTP request the server answered, for assertions on what the client fetched. */
export interface HttpExchange {
  method: string;
  url: string;
  status: number;
}

/** How handshakes fail while connections are refused: at once (a 4xx/5xx), or never answered (a black hole). */
export type RefusalMode = "refuse" | "hang";

const HTTP_API_URL = "https://api.pushgate.test";
const WEBSOCKET_URL = "wss://ws.pushgate.test/live";
const SNAPSHOT_ORIGIN = "https://snapshots.pushgate.test";
/** Microtask turns without any activity after which the client is taken to be waiting on time or the test. */
const QUIET_TURNS = 50;
/** A client still busy after this many turns is looping; failing beats hanging the test. */
const MAX_SETTLE_TURNS = 100_000;

export class FakePushServer {
  readonly clock: ManualClock;
  /** Every connection ever opened (or attempted), oldest first. */
  readonly connections: FakeConnection[] = [];
  /** Every session issued, oldest first. */
  readonly sessions: IssuedSession[] = [];
  /** Every HTTP request answered, oldest first. */
  readonly requests: HttpExchange[] = [];
  /** Handshakes refused (by `refuseConnections`, an unknown or expired token, or a missing subprotocol). */
  refusedHandshakes = 0;

  private readonly tokenTtlMs: number;
  private readonly seed: number;
  private readonly onAdvance: ((ms: number) => void) | undefined;
  private readonly tokens = new Map<string, TokenRecord>();
  /** Sessions revoked because one of their tokens was renewed twice. */
  private readonly revokedSessions = new Set<string>();
  private readonly snapshots = new Map<string, MessageFrame>();
  private readonly seqs = new Map<string, number>();
  private readonly refusals = new Map<string, { code: ErrorCode; message: string }>();
  private readonly onlineListeners = new Set<(online: boolean) => void>();
  private refusing: RefusalMode | undefined;
  private throttling = false;
  private lastRequest = 0;
  private online = true;
  private activity = 0;
  private lastSignature = 0;
  private expiredSignaturesUpTo = 0;
  private lastFan = 0;
  private lastToken = 0;
  private lastConnection = 0;

  constructor(options: FakePushServerOptions = {}) {
    this.clock = new ManualClock(options.now ?? DEFAULT_START);
    this.clock.onSchedule = () => this.touch();
    this.tokenTtlMs = options.tokenTtlMs ?? 15 * 60_000;
    this.seed = options.seed ?? 7;
    this.onAdvance = options.onAdvance;
  }

  readonly httpApiUrl = HTTP_API_URL;
  readonly websocketUrl = WEBSOCKET_URL;

  /** Virtual now, epoch ms. */
  now(): number {
    return this.clock.now();
  }

  /**
   * Everything `createPushClient` needs to talk to this server: URLs, the
   * WebSocket class, fetch, virtual timers and clock, seeded jitter and an
   * online source the test controls. Spread your own options after it.
   */
  clientOptions(overrides: Partial<PushClientOptions> = {}): PushClientOptions {
    return {
      httpApiUrl: this.httpApiUrl,
      websocketUrl: this.websocketUrl,
      WebSocket: this.WebSocket,
      fetch: this.fetch,
      timers: this.clock,
      clock: this.clock,
      random: seededRandom(this.seed),
      online: this.onlineSource,
      ...overrides,
    };
  }

  // ---- what a test does --------------------------------------------------------

  /**
   * A publication, as the fan-out makes it: the topic's seq goes up by one, the
   * snapshot is written, and every open connection subscribed to the topic is
   * sent the frame. `{ push: false }` writes the snapshot without pushing (a
   * lost push, for a test of resync or polling).
   */
  publish<T extends string>(topic: T, data: DataByKind[KindOfTopic<T>], options: { push?: boolean } = {}): MessageFrame {
    const { type } = parseTopic(topic);
    const seq = this.seqOf(topic) + 1;
    this.seqs.set(topic, seq);
    const frame = {
      type: "message",
      topic,
      seq,
      kind: KIND_OF_TOPIC_TYPE[type as TopicType],
      data,
      ts: new Date(this.clock.now()).toISOString(),
    } as MessageFrame;
    this.snapshots.set(topic, frame);
    if (options.push !== false) for (const connection of this.subscribedConnections(topic)) connection.send(frame);
    this.touch();
    return frame;
  }

  /** The topic's last seq (0 before its first publication). */
  seqOf(topic: string): number {
    return this.seqs.get(topic) ?? 0;
  }

  /** Connections open now. */
  openConnections(): FakeConnection[] {
    return this.connections.filter((connection) => connection.isOpen);
  }

  /** The open connection (the one a single client holds); throws when there is not exactly one. */
  connection(): FakeConnection {
    const open = this.openConnections();
    if (open.length !== 1) {
      throw new Error(`expected one open connection, found ${open.length}; call connect() on the client and await server.settle()`);
    }
    return open[0]!;
  }

  /** How many open connections are subscribed to the topic on the wire. */
  subscribers(topic: string): number {
    return this.subscribedConnections(topic).length;
  }

  /** Every open socket ends as the network would end it (close code 1006), or with `code`. */
  drop(code = ABNORMAL_CLOSURE, reason = ""): void {
    for (const connection of this.openConnections()) connection.close(code, reason);
    this.touch();
  }

  /**
   * Every open socket stops carrying frames either way but stays open (a
   * half-open TCP connection): the client notices only when its ping goes
   * unanswered (`pingIntervalMs` + `pongTimeoutMs`). `resume()` ends it.
   */
  stall(): void {
    for (const connection of this.openConnections()) connection.stalled = true;
    this.touch();
  }

  resume(): void {
    for (const connection of this.openConnections()) connection.stalled = false;
    this.touch();
  }

  /**
   * New handshakes fail (as when the gateway is down or refuses) until
   * `acceptConnections()`; the client falls back to polling the snapshots,
   * which this server keeps serving. "hang" leaves them unanswered instead,
   * so the client's connect timeout decides.
   */
  refuseConnections(mode: RefusalMode = "refuse"): void {
    this.refusing = mode;
    this.touch();
  }

  acceptConnections(): void {
    this.refusing = undefined;
    this.touch();
  }

  /**
   * The stage throttle: until `unthrottle()`, every frame a client sends is
   * dropped and answered as API Gateway answers a throttled message,
   * `{"message":"Too Many Requests","connectionId","requestId"}` (not protocol
   * v1); the connection stays open.
   */
  throttle(): void {
    this.throttling = true;
    this.touch();
  }

  unthrottle(): void {
    this.throttling = false;
    this.touch();
  }

  /** Subscribes and snapshot URLs for the topic are refused from now on, one outcome per topic, as the real server refuses a job of another fan. */
  refuseTopic(topic: string, code: ErrorCode = "FORBIDDEN", message = `${topic} is not yours to read; subscribe to your own topics`): void {
    this.refusals.set(topic, { code, message });
    this.touch();
  }

  allowTopic(topic: string): void {
    this.refusals.delete(topic);
    this.touch();
  }

  /**
   * Every token issued so far stops being accepted (a session ended or a key
   * rotated): handshakes with it are refused, `GET /snapshots` answers 401 and
   * renewing it answers 401 SESSION_ENDED, so the client starts a new session
   * (a new fan id). Open sockets stay open: API Gateway authorizes at connect only.
   */
  expireSessions(): void {
    for (const record of this.tokens.values()) record.revoked = true;
    this.touch();
  }

  /** Every presigned snapshot URL handed out so far expires (S3 answers 403; the client signs new ones). */
  expireSnapshotUrls(): void {
    this.expiredSignaturesUpTo = this.lastSignature;
    this.touch();
  }

  /** The device goes offline or online (the browser's online/offline events; fetch fails while offline). */
  setOnline(online: boolean): void {
    this.online = online;
    if (!online) this.drop();
    for (const listener of [...this.onlineListeners]) listener(online);
    this.touch();
  }

  /**
   * Move virtual time forward by `ms`, firing the client's timers in order and
   * letting the work each one starts (fetches, handshakes, frames) finish
   * before the next fires. Wrap it in React's `act` when components render.
   */
  async advance(ms: number): Promise<void> {
    const start = this.clock.now();
    const target = start + ms;
    let moved = start;
    await this.settle();
    for (;;) {
      const dueAt = this.clock.nextDueAt();
      if (dueAt === undefined || dueAt > target) break;
      const step = Math.max(0, dueAt - moved);
      moved = Math.max(moved, dueAt);
      if (step > 0) this.onAdvance?.(step);
      this.clock.fireNextDueBy(target);
      await this.settle();
    }
    this.clock.moveTo(target);
    if (target > moved) this.onAdvance?.(target - moved);
    await this.settle();
  }

  /**
   * Let everything already started finish: handshakes, frames in flight,
   * fetches and the client's reactions to them, without moving time. Resolves
   * once nothing has happened for a while of microtask turns (no real timer
   * is used, so it works under fake timers too).
   */
  async settle(): Promise<void> {
    let quiet = 0;
    let seen = this.activity;
    for (let turn = 0; turn < MAX_SETTLE_TURNS; turn++) {
      await Promise.resolve();
      if (this.activity !== seen) {
        seen = this.activity;
        quiet = 0;
      } else if (++quiet >= QUIET_TURNS) {
        return;
      }
    }
    throw new Error(`settle: the client kept busy for ${MAX_SETTLE_TURNS} microtask turns without waiting on time; is it in a loop?`);
  }

  // ---- the client's platform ------------------------------------------------------

  private readonly onlineSource: OnlineSource = {
    isOnline: () => this.online,
    subscribe: (listener) => {
      this.onlineListeners.add(listener);
      return () => this.onlineListeners.delete(listener);
    },
  };

  /** A WebSocket class bound to this server, for `createPushClient({ WebSocket })`. */
  readonly WebSocket: WebSocketConstructor = (() => {
    const server = this;
    return class BoundFakeSocket extends FakeSocket {
      constructor(url: string, protocols: string[]) {
        super(url, protocols, server.peer);
        server.handshake(this);
      }
    };
  })();

  /** A fetch bound to this server, for `createPushClient({ fetch })`. */
  readonly fetch: FetchLike = async (input, init) => {
    this.touch();
    const method = (init?.method ?? "GET").toUpperCase();
    if (!this.online) throw new TypeError("Failed to fetch (the fake push server's device is offline)");
    const response = await this.answer(method, new URL(input), headerOf(init, "authorization"), headerOf(init, "if-none-match"));
    this.requests.push({ method, url: input, status: response.status });
    this.touch();
    return response;
  };

  // ---- WebSocket API ------------------------------------------------------------

  private readonly ends = new Map<FakeSocket, FakeConnection>();

  private readonly peer: SocketPeer = {
    fromClient: (socket, text) => {
      const connection = this.ends.get(socket);
      if (connection) this.fromClient(connection, text);
    },
    closedByClient: (socket, code, reason) => {
      this.ends.get(socket)?.end(code, reason, "client");
      this.touch();
    },
  };

  private handshake(socket: FakeSocket): void {
    this.touch();
    const { url, protocols } = socket;
    const token = protocols.find((protocol) => protocol.startsWith(TOKEN_SUBPROTOCOL_PREFIX))?.slice(TOKEN_SUBPROTOCOL_PREFIX.length) ?? "";
    const record = this.validToken(token);
    const connection = new FakeConnection(`c${++this.lastConnection}`, socket, record?.fanId ?? "", token);
    this.ends.set(socket, connection);
    this.connections.push(connection);
    // Offline or black-holed: the handshake never answers, and the client's connect timeout decides.
    if (this.refusing === "hang" || !this.online) return;
    const refusal =
      this.refusing === "refuse"
        ? "the gateway is refusing connections"
        : url !== this.websocketUrl
          ? `no WebSocket API at ${url}; use server.websocketUrl`
          : !protocols.includes(SUBPROTOCOL)
            ? `the client did not offer ${SUBPROTOCOL}`
            : record === undefined
              ? "the token is unknown, expired or revoked"
              : undefined;
    queueMicrotask(() => {
      this.touch();
      if (connection.phase !== "connecting") return;
      if (refusal !== undefined) {
        // A browser cannot see why a handshake failed: it reports close code 1006.
        this.refusedHandshakes++;
        connection.end(ABNORMAL_CLOSURE, refusal, "server");
        socket.ended(ABNORMAL_CLOSURE, "");
        return;
      }
      connection.phase = "open";
      socket.opened(SUBPROTOCOL);
    });
  }

  private fromClient(connection: FakeConnection, text: string): void {
    this.touch();
    if (connection.stalled || !connection.isOpen) return;
    connection.receivedText.push(text);
    if (this.throttling) {
      connection.sendText(
        JSON.stringify({ message: "Too Many Requests", connectionId: connection.id, requestId: `q${++this.lastRequest}` }),
      );
      return;
    }
    const parsed = parseClientFrame(text);
    if (!parsed.ok) {
      connection.send(parsed.error);
      return;
    }
    connection.received.push(parsed.frame);
    void this.route(connection, parsed.frame);
  }

  private async route(connection: FakeConnection, frame: ClientFrame): Promise<void> {
    switch (frame.action) {
      case "ping":
        connection.send({ type: "pong", id: frame.id });
        return;
      case "subscribe": {
        const { allowed, refused } = await this.sortTopics(connection.fanId, frame.topics);
        for (const topic of allowed) connection.topics.add(topic);
        connection.send({
          type: "subscribed",
          id: frame.id,
          topics: allowed.map((topic) => ({ topic, seq: this.seqOf(topic), snapshotUrl: this.signSnapshotUrl(topic) })),
          ...(refused.length > 0 && { refused }),
        });
        return;
      }
      case "unsubscribe": {
        try {
          const names = [...new Set(frame.topics.map((name) => parseTopic(name).name))];
          for (const topic of names) connection.topics.delete(topic);
          connection.send({ type: "unsubscribed", id: frame.id, topics: names });
        } catch (error) {
          connection.send(toErrorFrame(error, frame.id));
        }
        return;
      }
    }
  }

  /** The real server's per-topic outcome: the grammar and canary rule of core's topics, then the test's refusals. */
  private async sortTopics(fanId: string, names: readonly string[]): Promise<{ allowed: string[]; refused: RefusedTopic[] }> {
    const allowed: string[] = [];
    const refused: RefusedTopic[] = [];
    for (const name of new Set(names)) {
      const refusal = this.refusals.get(name);
      if (refusal) {
        refused.push({ topic: name, ...refusal });
        continue;
      }
      try {
        // Every job is the asking fan's here; refuseTopic makes one another fan's.
        await authorizeTopic(parseTopic(name), fanId, { jobOwner: async () => fanId });
        allowed.push(name);
      } catch (error) {
        if (!isPushgateError(error)) throw error;
        refused.push({ topic: name, code: toErrorFrame(error).code, message: error.message });
      }
    }
    return { allowed, refused };
  }

  private subscribedConnections(topic: string): FakeConnection[] {
    return this.openConnections().filter((connection) => connection.topics.has(topic));
  }

  // ---- HTTP API and S3 ------------------------------------------------------------

  private async answer(method: string, url: URL, authorization: string | undefined, ifNoneMatch: string | undefined): Promise<Response> {
    const bearer = authorization?.replace(/^Bearer /, "");
    if (url.origin === SNAPSHOT_ORIGIN && method === "GET") return this.snapshot(url, ifNoneMatch);
    if (url.origin === HTTP_API_URL && url.pathname === "/session" && method === "POST") return this.session(bearer);
    if (url.origin === HTTP_API_URL && url.pathname === "/snapshots" && method === "GET") {
      const record = this.validToken(bearer);
      if (!record) return apiError(401, "UNAUTHORIZED", "the token is missing, expired or revoked; POST /session for a new one");
      const names = (url.searchParams.get("topics") ?? "").split(",").filter((name) => name.length > 0);
      const { allowed, refused } = await this.sortTopics(record.fanId, names);
      const body: SnapshotsResponse = {
        snapshots: allowed.map((topic) => ({ topic, url: this.signSnapshotUrl(topic) })),
        ...(refused.length > 0 && { refused }),
      };
      return json(200, body);
    }
    return apiError(
      404,
      "NOT_FOUND",
      `the fake push server has no ${method} ${url.origin}${url.pathname}; it serves POST /session, GET /snapshots and snapshot URLs (stub your app's own API in the test)`,
    );
  }

  /** As the real `POST /session`: a new fan, or the next token of the Bearer's session, each token renewable once. */
  private session(previous: string | undefined): Response {
    let fanId: string;
    let session: string;
    if (previous === undefined) {
      fanId = `fan-${++this.lastFan}`;
      session = `s-${fanId}`;
    } else {
      const record = this.tokens.get(previous);
      if (!record)
        return apiError(401, "UNAUTHORIZED", "this token was not issued here; POST /session without Authorization for a new one");
      if (record.revoked || this.revokedSessions.has(record.session)) {
        return apiError(401, "SESSION_ENDED", "this session ended; start a new one with POST /session without an Authorization header");
      }
      if (record.renewed) {
        this.revokedSessions.add(record.session);
        return apiError(
          401,
          "TOKEN_ALREADY_RENEWED",
          "this token was already renewed once, so its session is now revoked; start a new session with POST /session without an Authorization header",
        );
      }
      record.renewed = true;
      fanId = record.fanId;
      session = record.session;
    }
    const token = `fake-token-${++this.lastToken}`;
    const expiresAt = this.clock.now() + this.tokenTtlMs;
    this.tokens.set(token, { fanId, session, expiresAt, revoked: false, renewed: false });
    this.sessions.push({ token, fanId, expiresAt, ...(previous !== undefined && { renewed: previous }) });
    const iso = new Date(expiresAt).toISOString();
    return json(200, { token, fanId, expiresAt: iso, sessionEndsAt: iso });
  }

  private snapshot(url: URL, ifNoneMatch: string | undefined): Response {
    const signature = Number(url.searchParams.get("X-Amz-Signature") ?? "0");
    if (signature <= this.expiredSignaturesUpTo) {
      return new Response("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", {
        status: 403,
        headers: { "content-type": "application/xml" },
      });
    }
    const topic = decodeURIComponent(url.pathname.replace(/^\/snapshots\//, "").replace(/\.json$/, ""));
    const frame = this.snapshots.get(topic);
    if (!frame)
      return new Response("<Error><Code>NoSuchKey</Code></Error>", { status: 404, headers: { "content-type": "application/xml" } });
    const etag = `"${topic}@${frame.seq}"`;
    if (ifNoneMatch === etag) return new Response(null, { status: 304, headers: { etag } });
    return new Response(JSON.stringify(frame), { status: 200, headers: { "content-type": "application/json", etag } });
  }

  private signSnapshotUrl(topic: string): string {
    return `${SNAPSHOT_ORIGIN}/snapshots/${topic}.json?X-Amz-Signature=${++this.lastSignature}`;
  }

  private validToken(token: string | undefined): { fanId: string } | undefined {
    const record = token === undefined ? undefined : this.tokens.get(token);
    if (!record || record.revoked || this.clock.now() >= record.expiresAt) return undefined;
    return record;
  }

  private touch(): void {
    this.activity++;
  }
}

/** The fake server for one test: `new FakePushServer(options)`. */
export function createFakePushServer(options: FakePushServerOptions = {}): FakePushServer {
  return new FakePushServer(options);
}

function headerOf(init: RequestInit | undefined, name: string): string | undefined {
  const headers = init?.headers;
  if (headers === undefined) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  if (Array.isArray(headers)) return headers.find(([key]) => key.toLowerCase() === name)?.[1];
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function apiError(status: number, code: ApiErrorCode, message: string): Response {
  return json(status, { error: { code, message } });
}

/**
 * The canary: proof, every minute, that a score written now reaches a fan's
 * socket now (issue 14). It does what a fan and a producer do, through the
 * same public paths: a session token, a WebSocket offering it as a
 * subprotocol, a subscribe to its own topic (topics.ts CANARY_TOPIC, which no
 * fan may follow), one write through the producer use case, the push back on
 * its socket, and the topic's snapshot through the presigned URL the ack gave.
 *
 * A failed probe is a result, not an exception: the run reports which step
 * failed and why, and always emits CanarySuccess (1 or 0) so an alarm sees a
 * failure as a 0 rather than as missing data; CanaryLatencyMs is
 * publish-to-receive of a successful run.
 */
import type { TokenService } from "../auth";
import type { Clock, GameStore, Log, Meter, OpenFanSocket, FanSocket } from "../ports";
import { readServerFrame, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, type ServerFrame, type SubscribeFrame, type Timers } from "../wire";
import { CANARY_GAME_ID, CANARY_TOPIC } from "../topics";
import { recordScore } from "./producers";

export interface CanaryDeps {
  games: GameStore;
  clock: Clock;
  timers: Timers;
  meter: Meter;
  log: Log;
  tokens: TokenService;
  openSocket: OpenFanSocket;
  /** GETs the presigned snapshot URL (global fetch in a function). */
  fetch: (url: string) => Promise<{ status: number; text(): Promise<string> }>;
  websocketUrl: string;
  /** Each step's own limit; a run takes at most a few of them. */
  timeoutMs: number;
}

export type CanaryStep = "session" | "connect" | "subscribe" | "publish" | "receive" | "snapshot";

export type CanaryReport =
  | { ok: true; topic: string; seq: number; latencyMs: number; snapshotMs: number }
  | { ok: false; topic: string; step: CanaryStep; reason: string; elapsedMs: number };

class StepFailed extends Error {
  constructor(
    readonly step: CanaryStep,
    message: string,
  ) {
    super(message);
  }
}

const SNAPSHOT_POLL_MS = 100;
const SNAPSHOT_BACKSTOP_MS = 5_000;
const SUBSCRIBE_ID = "canary";

export async function runCanary(deps: CanaryDeps): Promise<CanaryReport> {
  const started = deps.clock.now();
  let socket: FanSocket | undefined;
  try {
    const session = await step(deps, "session", "a session token", deps.tokens.issueCanary());
    socket = await step(
      deps,
      "connect",
      "the WebSocket handshake",
      deps.openSocket(deps.websocketUrl, [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + session.token]),
    );
    const inbox = frameInbox(socket);

    const subscribe: SubscribeFrame = { action: "subscribe", id: SUBSCRIBE_ID, topics: [CANARY_TOPIC] };
    socket.send(JSON.stringify(subscribe));
    const ack = await step(
      deps,
      "subscribe",
      "the subscribed ack",
      inbox.next((frame) => "id" in frame && frame.id === SUBSCRIBE_ID),
    );
    if (ack.type !== "subscribed")
      throw new StepFailed("subscribe", `subscribe was refused: ${describe(ack)}; check the subscribe route's function`);
    const snapshotUrl = ack.topics.find((topic) => topic.topic === CANARY_TOPIC)?.snapshotUrl;
    if (!snapshotUrl)
      throw new StepFailed("subscribe", `the subscribed ack has no snapshot URL for ${CANARY_TOPIC}; check the subscribe use case`);

    const publishedAt = deps.clock.now();
    const { seq } = await step(
      deps,
      "publish",
      "the producer's write",
      // The producer use case itself, as POST /games/{gameId}/score runs it: one write, the stream does the rest.
      recordScore(deps, CANARY_GAME_ID, { home: Math.floor(publishedAt / 1000) % 1_000_000, away: 0, lastPlay: "canary" }),
    );
    // >= rather than ==: a batch keeps only the newest seq of a topic, so a concurrent run's write may carry ours.
    await step(
      deps,
      "receive",
      `the push of seq ${seq}`,
      inbox.next((frame) => frame.type === "message" && frame.topic === CANARY_TOPIC && frame.seq >= seq),
    );
    const latencyMs = deps.clock.now() - publishedAt;

    // Its own deadline (timeoutMs) ends the polling and says what the last GET saw; the step's limit is only a backstop.
    await step(
      deps,
      "snapshot",
      `a snapshot at seq ${seq} or later`,
      snapshotAtLeast(deps, snapshotUrl, seq),
      deps.timeoutMs + SNAPSHOT_BACKSTOP_MS,
    );
    const snapshotMs = deps.clock.now() - publishedAt;

    deps.meter.count("CanarySuccess", 1);
    deps.meter.milliseconds("CanaryLatencyMs", latencyMs);
    return { ok: true, topic: CANARY_TOPIC, seq, latencyMs, snapshotMs };
  } catch (error) {
    const failed = error instanceof StepFailed ? error : new StepFailed("session", String((error as Error)?.message ?? error));
    deps.meter.count("CanarySuccess", 0);
    deps.log.warn("canary failed", { step: failed.step, reason: failed.message });
    return { ok: false, topic: CANARY_TOPIC, step: failed.step, reason: failed.message, elapsedMs: deps.clock.now() - started };
  } finally {
    socket?.close();
  }
}

/** What to look at when a step fails, for whoever is on call. */
const hints: Record<CanaryStep, string> = {
  session: "check JWT_SECRET (sst secrets list) and the canary's ssm:GetParameters grant",
  connect: "check the $connect function's errors and that PUSHGATE_WS_URL is the API's wss:// URL",
  subscribe: "check the subscribe function's errors and throttles",
  publish: "check the games table (throttling?) and the canary's grant on it",
  receive:
    "the write landed but no push came back: check the gamesFanout consumer (errors, iterator age, dead letters) and the Management API",
  snapshot: "the push came but the snapshot did not follow: check the fan-out's s3:PutObject on snapshots/ and the presigned URL",
};

/** The step's promise, or a StepFailed naming it when it rejects or takes longer than its limit (timeoutMs). */
function step<T>(
  deps: Pick<CanaryDeps, "timers" | "timeoutMs">,
  name: CanaryStep,
  what: string,
  work: Promise<T>,
  limitMs = deps.timeoutMs,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = deps.timers.setTimeout(
      () => reject(new StepFailed(name, `timed out after ${limitMs} ms waiting for ${what}; ${hints[name]}`)),
      limitMs,
    );
    work.then(
      (value) => {
        deps.timers.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        deps.timers.clearTimeout(timer);
        reject(
          error instanceof StepFailed
            ? error
            : new StepFailed(name, `${what} failed: ${(error as Error)?.message ?? String(error)}; ${hints[name]}`),
        );
      },
    );
  });
}

/** Frames as they arrive, and a way to wait for the first (buffered or future) that matches. */
function frameInbox(socket: FanSocket) {
  const frames: ServerFrame[] = [];
  const waiting: { match: (frame: ServerFrame) => boolean; resolve: (frame: ServerFrame) => void; reject: (error: Error) => void }[] = [];
  let closedWith: number | undefined;
  socket.onFrame((text) => {
    const read = readServerFrame(text);
    if (!read.ok) return;
    frames.push(read.frame);
    for (const waiter of [...waiting]) {
      if (waiter.match(read.frame)) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve(read.frame);
      }
    }
  });
  socket.onClose((code) => {
    closedWith = code;
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`the socket closed (${code})`));
  });
  return {
    next(match: (frame: ServerFrame) => boolean): Promise<ServerFrame> {
      const found = frames.find(match);
      if (found) return Promise.resolve(found);
      if (closedWith !== undefined) return Promise.reject(new Error(`the socket closed (${closedWith})`));
      return new Promise((resolve, reject) => waiting.push({ match, resolve, reject }));
    },
  };
}

const describe = (frame: ServerFrame) => (frame.type === "error" ? `${frame.code}: ${frame.message}` : frame.type);

/**
 * The snapshot is written alongside the push, so it may land a few ms after
 * it: poll until it shows our seq. A GET that fails or reads something else
 * is retried too (S3 answers the odd 500 or reset; the local emulator can
 * serve a read that races the write of the same key), and the last such
 * problem is what a timed-out step reports.
 */
async function snapshotAtLeast(
  deps: Pick<CanaryDeps, "fetch" | "timers" | "clock" | "timeoutMs">,
  url: string,
  seq: number,
): Promise<void> {
  // Stops on its own at the step's limit, so a timed-out run leaves no polling behind.
  const deadline = deps.clock.now() + deps.timeoutMs;
  let problem = "it was never written (404)";
  while (deps.clock.now() < deadline) {
    try {
      const response = await deps.fetch(url);
      const body = await response.text();
      if (response.status === 200) {
        const read = readServerFrame(body);
        if (read.ok && read.frame.type === "message" && read.frame.seq >= seq) return;
        problem = read.ok
          ? `it holds ${read.frame.type === "message" ? `seq ${read.frame.seq}` : read.frame.type}`
          : `it is not a message envelope (${read.why})`;
      } else if (response.status !== 404) {
        problem = `the presigned GET answered ${response.status}: ${body.slice(0, 200)}`;
      }
    } catch (error) {
      problem = `the presigned GET failed: ${(error as Error).message}`;
    }
    await new Promise<void>((resolve) => deps.timers.setTimeout(resolve, SNAPSHOT_POLL_MS));
  }
  throw new Error(`the snapshot stayed below seq ${seq}: ${problem}`);
}

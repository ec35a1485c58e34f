/**
 * One WebSocket frame from a client, end to end: the connection's rate limit,
 * then the protocol parser, then the action. Never throws: every outcome is a
 * frame to answer (an error frame with one of protocol v1's codes, never a
 * stack), or nothing when the connection was closed for abuse.
 *
 * Rate limit: a token bucket per connection kept on its item in the
 * connections table (shared by every function instance). A frame over the rate
 * is answered RATE_LIMITED; a connection that keeps sending after `maxStrikes`
 * rate-limited frames is told so with a last error frame and closed with
 * DeleteConnection. API Gateway picks the close code of DeleteConnection (the
 * caller cannot), so "1008 policy violation" is carried in that last frame's
 * message and code, not in the close frame; see docs/reliability.md.
 */
import { toErrorFrame } from "../errors";
import { errorFrame, parseClientFrame, POLICY_VIOLATION_PREFIX, type ClientFrame, type PongFrame, type ServerFrame } from "../protocol";
import { subscribe, unsubscribe, type SubscribeDeps } from "./subscriptions";
import type { Clock, ConnectionStore, Gateway } from "../ports";

export interface MessageDeps {
  connections: ConnectionStore;
  gateway: Gateway;
  clock: Clock;
  frameRate: { perSecond: number; burst: number; maxStrikes: number; strikeWindowSeconds: number };
  handleFrame(connectionId: string, frame: ClientFrame): Promise<ServerFrame>;
  /** Forgets a connection closed for abuse ($disconnect is best effort on AWS). */
  forgetConnection(connectionId: string): Promise<void>;
}

export interface MessageOutcome {
  /** The route response; undefined when the connection was closed. */
  reply?: ServerFrame;
  /** A refusal or failure for the edge to log (a PushgateError is a refusal). */
  problem?: unknown;
  /** Set when the connection was closed for exceeding its rate limit. */
  closed?: "rate-limit";
}

export const POLICY_CLOSE_MESSAGE = `${POLICY_VIOLATION_PREFIX}: too many frames after being rate limited; this connection is closed`;

export async function handleMessage(deps: MessageDeps, connectionId: string, text: string): Promise<MessageOutcome> {
  let requestId: string | undefined;
  try {
    const admission = await deps.connections.admitFrame(connectionId, deps.clock.now(), {
      intervalMs: 1000 / deps.frameRate.perSecond,
      burst: deps.frameRate.burst,
      strikeWindowMs: deps.frameRate.strikeWindowSeconds * 1000,
    });
    if (admission.outcome === "limited") {
      if (admission.strikes > deps.frameRate.maxStrikes) {
        await closeForAbuse(deps, connectionId);
        return { closed: "rate-limit" };
      }
      return {
        reply: errorFrame(
          "RATE_LIMITED",
          `over ${deps.frameRate.perSecond} frames/s (burst ${deps.frameRate.burst}); slow down: after ${deps.frameRate.maxStrikes} rate-limited frames within ${deps.frameRate.strikeWindowSeconds} s the connection is closed`,
          idOf(text),
        ),
      };
    }
    const parsed = parseClientFrame(text);
    if (!parsed.ok) return { reply: parsed.error };
    requestId = parsed.frame.id;
    return { reply: await deps.handleFrame(connectionId, parsed.frame) };
  } catch (error) {
    return { reply: toErrorFrame(error, requestId), problem: error };
  }
}

async function closeForAbuse(deps: MessageDeps, connectionId: string): Promise<void> {
  // Best effort: the last frame may not arrive, the close must.
  await deps.gateway.post(connectionId, JSON.stringify(errorFrame("RATE_LIMITED", POLICY_CLOSE_MESSAGE))).catch(() => {});
  await deps.gateway.delete(connectionId);
  await deps.forgetConnection(connectionId);
}

/** The request id of a frame that will not be parsed (rate limited), when one is cheaply readable. */
function idOf(text: string): string | undefined {
  if (text.length > 4096) return undefined;
  try {
    const id = (JSON.parse(text) as { id?: unknown } | null)?.id;
    return typeof id === "string" && id.length >= 1 && id.length <= 64 ? id : undefined;
  } catch {
    return undefined;
  }
}

/** A parsed client frame -> the frame to answer with; refusals are thrown as PushgateError. */
export async function answerFrame(deps: SubscribeDeps, connectionId: string, frame: ClientFrame): Promise<ServerFrame> {
  switch (frame.action) {
    case "subscribe":
      return subscribe(deps, connectionId, frame);
    case "unsubscribe":
      return unsubscribe(deps, connectionId, frame);
    case "ping":
      return { type: "pong", id: frame.id } satisfies PongFrame;
  }
}

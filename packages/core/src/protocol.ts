/**
 * The server's strict parsing of client frames (zod), over the shared wire
 * module. Only server code imports this file: zod stays out of the browser.
 * Everything of `wire.ts` is re-exported, so server code needs one import.
 */
import { z } from "zod";
import {
  CLIENT_ACTIONS,
  errorFrame,
  MAX_FRAME_BYTES,
  MAX_REQUEST_ID_LENGTH,
  MAX_TOPICS_PER_REQUEST,
  type ClientFrame,
  type ErrorFrame,
  type PingFrame,
  type SubscribeFrame,
  type UnsubscribeFrame,
} from "./wire";

export * from "./wire";

/** Longest topic name read from a frame; `topics.ts` checks the grammar itself. */
const MAX_TOPIC_NAME_LENGTH = 200;

const requestId = z.string().min(1).max(MAX_REQUEST_ID_LENGTH);
const topicList = z.array(z.string().max(MAX_TOPIC_NAME_LENGTH)).min(1).max(MAX_TOPICS_PER_REQUEST);

const subscribeSchema = z.strictObject({ action: z.literal("subscribe"), id: requestId, topics: topicList });
const unsubscribeSchema = z.strictObject({ action: z.literal("unsubscribe"), id: requestId, topics: topicList });
const pingSchema = z.strictObject({ action: z.literal("ping"), id: requestId });
const clientFrameSchema = z.discriminatedUnion("action", [subscribeSchema, unsubscribeSchema, pingSchema]);

// The wire types are written by hand (the client cannot import zod); these keep the schemas and them in step.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemasMatchWireTypes: [
  Same<z.infer<typeof subscribeSchema>, SubscribeFrame>,
  Same<z.infer<typeof unsubscribeSchema>, UnsubscribeFrame>,
  Same<z.infer<typeof pingSchema>, PingFrame>,
] = [true, true, true];
void schemasMatchWireTypes;

const isClientAction = (value: unknown): value is ClientFrame["action"] => (CLIENT_ACTIONS as readonly unknown[]).includes(value);

/**
 * Parse one text frame from a client. Never throws: a frame that is not valid
 * protocol v1 comes back as the error frame to send, with the request id when
 * one could be read, so the caller can answer and keep the connection.
 */
export function parseClientFrame(text: string): { ok: true; frame: ClientFrame } | { ok: false; error: ErrorFrame } {
  if (Buffer.byteLength(text, "utf8") > MAX_FRAME_BYTES) {
    return { ok: false, error: errorFrame("TOO_LARGE", `frame is over ${MAX_FRAME_BYTES} bytes; split the request into smaller frames`) };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: errorFrame("BAD_REQUEST", "frame is not JSON; send a JSON object with an action") };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, error: errorFrame("BAD_REQUEST", "frame must be a JSON object with an action") };
  }
  const record = raw as Record<string, unknown>;
  const id = typeof record.id === "string" && record.id.length <= MAX_REQUEST_ID_LENGTH ? record.id : undefined;
  if (!isClientAction(record.action)) {
    const shown = typeof record.action === "string" ? `"${record.action.slice(0, 40)}"` : "missing";
    return {
      ok: false,
      error: errorFrame("UNKNOWN_ACTION", `action ${shown} is not one of ${CLIENT_ACTIONS.join(", ")}`, id),
    };
  }
  const parsed = clientFrameSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join(".") : "frame";
    return { ok: false, error: errorFrame("BAD_REQUEST", `${where}: ${issue?.message ?? "invalid"}`, id) };
  }
  return { ok: true, frame: parsed.data };
}

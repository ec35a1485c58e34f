/**
 * What an answer of the Management API means to pushgate, written once for
 * both clients (the SDK adapter and the lean one throw errors of the same
 * shape: `name` from `x-amzn-ErrorType`, `$metadata.httpStatusCode`,
 * `$metadata.attempts`):
 * - 410 GoneException is an answer ("gone"), not an error;
 * - a 429 that says the connection's client side buffer is full is an answer
 *   about that one connection ("full"), not about the downstream (see
 *   isClientBufferFull);
 * - any other 429, 5xx and no answer at all, once the retries are spent, become
 *   GatewayUnavailableError: the downstream is sick, not the connection, and the
 *   circuit breaker counts it;
 * - anything else (403, 413, a bare 410) is thrown as is: that one push failed.
 */
import { GatewayUnavailableError } from "../errors";
import type { PostOutcome } from "../ports";
import { isUnavailableStatus } from "./push-retry-policy";

/** The shape of an SDK service error, which the lean client reproduces. */
export interface ManagementApiErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

// By name, as the SDK does: it raises GoneException only with the error type header (a bare 410 is "Unknown").
export const isGone = (error: unknown): boolean => (error as ManagementApiErrorShape | null)?.name === "GoneException";

/**
 * The start of the message the local gateway answers a post to a connection
 * that is not reading with (429 LimitExceededException). AWS's model
 * documents LimitExceededException as "The client is sending more than the
 * allowed number of requests per unit of time or the WebSocket client side
 * buffer is full": one exception, two causes.
 */
export const CLIENT_BUFFER_FULL = "WebSocket client side buffer is full";

/**
 * Whether a failed call is a slow reader's 429 rather than a throttle.
 *
 * Both are LimitExceededException, so the status and the error type cannot
 * tell them apart; the message is what names the cause. The rule errs toward
 * "throttle": a 429 counts as one connection's buffer only when its message
 * says so and nothing else (a message that is AWS's whole two-cause sentence,
 * or any other wording, is a throttle). The two mistakes are not equal: a
 * throttle taken for a slow reader would keep hammering a throttled account
 * with no breaker and no retry, losing pushes for everyone; a slow reader
 * taken for a throttle costs what it cost before (retries, the record
 * retried), and only where AWS words it differently from the local gateway.
 * Why not judge by how many connections fail instead: under a partial account
 * throttle, isolated 429s among successes look exactly like one slow reader,
 * and the breaker must count each failure as it happens, before any fan-out
 * could compare connections.
 */
export function isClientBufferFull(error: unknown): boolean {
  const { name, message } = (error ?? {}) as ManagementApiErrorShape;
  return (
    name === "LimitExceededException" &&
    typeof message === "string" &&
    message.toLowerCase().includes(CLIENT_BUFFER_FULL.toLowerCase()) &&
    !/per unit of time/i.test(message)
  );
}

/** 429, 5xx, or no HTTP answer at all. */
export function unavailability(error: unknown): GatewayUnavailableError | undefined {
  const { $metadata, name, message } = (error ?? {}) as ManagementApiErrorShape;
  const status = $metadata?.httpStatusCode;
  if (!isUnavailableStatus(status)) return undefined;
  const attempts = $metadata?.attempts ?? 1;
  return new GatewayUnavailableError(
    `Management API ${status ?? "unreachable"} (${name ?? "Error"}: ${message ?? ""}) after ${attempts} attempt(s)`,
    status,
    { cause: error },
  );
}

/** A failed PostToConnection: "gone", or the error to throw. */
export function postFailure(error: unknown): PostOutcome {
  if (isGone(error)) return "gone";
  if (isClientBufferFull(error)) return "full";
  throw unavailability(error) ?? error;
}

/** A failed DeleteConnection: a connection already gone is what was asked for. */
export function deleteFailure(error: unknown): void {
  if (!isGone(error)) throw unavailability(error) ?? error;
}

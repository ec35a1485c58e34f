/**
 * What an answer of the Management API means to pushgate, written once for
 * both clients (the SDK adapter and the lean one throw errors of the same
 * shape: `name` from `x-amzn-ErrorType`, `$metadata.httpStatusCode`,
 * `$metadata.attempts`):
 * - 410 GoneException is an answer ("gone"), not an error;
 * - 429, 5xx and no answer at all, once the retries are spent, become
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

/** 429, 5xx, or no HTTP answer at all. */
export function unavailability(error: unknown): GatewayUnavailableError | undefined {
  const { $metadata, name, message } = (error ?? {}) as ManagementApiErrorShape;
  const status = $metadata?.httpStatusCode;
  if (!isUnavailableStatus(status)) return undefined;
  const attempts = $metadata?.attempts ?? 1;
  return new GatewayUnavailableError(`Management API ${status ?? "unreachable"} (${name ?? "Error"}: ${message ?? ""}) after ${attempts} attempt(s)`, status, { cause: error });
}

/** A failed PostToConnection: "gone", or the error to throw. */
export function postFailure(error: unknown): PostOutcome {
  if (isGone(error)) return "gone";
  throw unavailability(error) ?? error;
}

/** A failed DeleteConnection: a connection already gone is what was asked for. */
export function deleteFailure(error: unknown): void {
  if (!isGone(error)) throw unavailability(error) ?? error;
}

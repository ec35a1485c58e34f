/**
 * Gateway over the API Gateway Management API; 410 GoneException is an answer,
 * not an error. Throttling (429), server errors (5xx) and network failures are
 * retried by the SDK client (see `pushRetryStrategy` in aws-clients.ts) and,
 * once those retries are spent, thrown as GatewayUnavailableError: the
 * downstream is sick, not the connection. Anything else (403, 413) is thrown
 * as is: that one push failed.
 */
import {
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
  type ApiGatewayManagementApiClient,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { GatewayUnavailableError } from "../errors";
import type { Gateway, PostOutcome } from "../ports";

const isGone = (error: unknown) => error instanceof GoneException || (error as { name?: string } | null)?.name === "GoneException";

/** 429, 5xx, or no HTTP answer at all. */
export function unavailability(error: unknown): GatewayUnavailableError | undefined {
  const { $metadata, name, message } = (error ?? {}) as { $metadata?: { httpStatusCode?: number; attempts?: number }; name?: string; message?: string };
  const status = $metadata?.httpStatusCode;
  if (status !== undefined && status !== 429 && status < 500) return undefined;
  const attempts = $metadata?.attempts ?? 1;
  return new GatewayUnavailableError(`Management API ${status ?? "unreachable"} (${name ?? "Error"}: ${message ?? ""}) after ${attempts} attempt(s)`, status, { cause: error });
}

export class ManagementApiGateway implements Gateway {
  constructor(private readonly client: () => ApiGatewayManagementApiClient) {}

  async post(connectionId: string, data: string): Promise<PostOutcome> {
    try {
      await this.client().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(data, "utf8") }));
      return "ok";
    } catch (error) {
      if (isGone(error)) return "gone";
      throw unavailability(error) ?? error;
    }
  }

  async delete(connectionId: string): Promise<void> {
    try {
      await this.client().send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (error) {
      if (!isGone(error)) throw unavailability(error) ?? error;
    }
  }
}

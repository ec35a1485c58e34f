/**
 * Gateway over the API Gateway Management API without the AWS SDK client:
 * `POST|DELETE /{stage}/@connections/{id}` signed with SigV4 (execute-api) and
 * sent over a keep-alive agent. The SDK's per-call middleware costs ~0.8 ms of
 * CPU per message (docs/aws-facts.md, "Fan-out cost"), which caps a fan-out at ~1,100
 * msg/s per instance; this client does only what the call needs.
 *
 * It behaves as the SDK adapter does: failures are thrown in the SDK's error
 * shape (`name` from `x-amzn-ErrorType`, `$metadata`), retried by the shared
 * policy (push-retry-policy.ts) and mapped by the shared outcomes
 * (management-api-outcomes.ts).
 */
import type { Gateway, PostOutcome } from "../ports";
import { executeApiSigner, type Credentials, type ExecuteApiSigner } from "./execute-api-signer";
import { keepAliveHttp, type HttpAnswer, type KeepAliveHttp } from "./keep-alive-http";
import { deleteFailure, isClientBufferFull, postFailure, type ManagementApiErrorShape } from "./management-api-outcomes";
import { DEFAULT_PUSH_RETRY, isUnavailableStatus, retryDelayMs, type PushRetryOptions } from "./push-retry-policy";

export interface LeanManagementApiOptions {
  /** `https://{api}.execute-api.{region}.amazonaws.com/{stage}`, or the local gateway's. */
  endpoint: string;
  region: string;
  /** Default: the SDK's default provider chain. */
  credentials?: Credentials;
  retry?: PushRetryOptions;
  /** Pushes in flight at most (the fan-out concurrency): the agent keeps that many sockets. */
  maxSockets: number;
  /** Per attempt. */
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
}

/** A non-2xx answer, shaped as the SDK shapes a service error. */
class ManagementApiError extends Error implements ManagementApiErrorShape {
  constructor(
    override readonly name: string,
    message: string,
    readonly $metadata: { httpStatusCode?: number; attempts: number },
  ) {
    super(message);
  }
}

function answerError(answer: HttpAnswer, attempts: number): ManagementApiError {
  let body: { message?: string; Message?: string; __type?: string } = {};
  try {
    body = JSON.parse(answer.body) as typeof body;
  } catch {
    // not JSON: the status and header say enough
  }
  // The header may carry a suffix (`GoneException:http://internal.amazon.com/...`); the SDK keeps the part before it.
  const type = String(answer.headers["x-amzn-errortype"] ?? body.__type ?? "Unknown").split(/[:#]/)[0]!;
  return new ManagementApiError(type, body.message ?? body.Message ?? `HTTP ${answer.status}`, { httpStatusCode: answer.status, attempts });
}

export class LeanManagementApiGateway implements Gateway {
  private readonly base: URL;
  private readonly signer: ExecuteApiSigner;
  private readonly http: KeepAliveHttp;
  private readonly retry: PushRetryOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  // A fan-out posts one string to every subscriber: encode it once.
  private lastData = "";
  private lastBytes = Buffer.alloc(0);

  constructor(options: LeanManagementApiOptions) {
    this.base = new URL(options.endpoint.replace(/\/+$/, ""));
    this.signer = executeApiSigner(options.region, options.credentials);
    this.http = keepAliveHttp(this.base.protocol, options.maxSockets, options.timeoutMs);
    this.retry = options.retry ?? DEFAULT_PUSH_RETRY;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async post(connectionId: string, data: string): Promise<PostOutcome> {
    if (data !== this.lastData) {
      this.lastData = data;
      this.lastBytes = Buffer.from(data, "utf8");
    }
    try {
      await this.call("POST", connectionId, this.lastBytes);
      return "ok";
    } catch (error) {
      return postFailure(error);
    }
  }

  async delete(connectionId: string): Promise<void> {
    try {
      await this.call("DELETE", connectionId);
    } catch (error) {
      deleteFailure(error);
    }
  }

  /** Closes the kept-alive sockets (tests, benches; a function instance keeps them for its life). */
  close(): void {
    this.http.close();
  }

  private async call(method: "POST" | "DELETE", connectionId: string, body?: Buffer): Promise<void> {
    const path = `${this.base.pathname}/@connections/${encodeURIComponent(connectionId)}`;
    const headers: Record<string, string> = body
      ? { "content-type": "application/octet-stream", "content-length": String(body.length) }
      : {};
    const port = this.base.port ? Number(this.base.port) : undefined;
    for (let attempt = 1; ; attempt++) {
      // Signed per attempt: x-amz-date must be fresh on a retry. Missing credentials throw here, not retried.
      const signed = await this.signer.sign({
        method,
        protocol: this.base.protocol,
        hostname: this.base.hostname,
        ...(port && { port }),
        path,
        headers,
        ...(body && { body }),
      });
      let failure: ManagementApiError;
      try {
        const answer = await this.http.send({
          method,
          hostname: this.base.hostname,
          ...(port && { port }),
          path,
          headers: signed,
          ...(body && { body }),
        });
        if (answer.status >= 200 && answer.status < 300) return;
        failure = answerError(answer, attempt);
      } catch (error) {
        // No HTTP answer (refused, reset, timed out): as the SDK, no status, so it counts as unavailability.
        failure = new ManagementApiError((error as Error).name ?? "Error", (error as Error).message ?? String(error), {
          attempts: attempt,
        });
        failure.cause = error;
      }
      // A full client buffer is not retried: a reader that has stopped will not
      // drain within the backoff, and the wait would hold a fan-out worker.
      if (!isUnavailableStatus(failure.$metadata.httpStatusCode) || isClientBufferFull(failure) || attempt >= this.retry.maxAttempts)
        throw failure;
      await this.sleep(retryDelayMs(this.retry, attempt));
    }
  }
}

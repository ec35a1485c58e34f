/**
 * One HTTP exchange over a keep-alive agent, bounded by a deadline, for the
 * lean Management API client. The whole exchange (connect, send, answer) must
 * finish within `timeoutMs`, not just each idle gap: a stalled push would
 * otherwise hold a fan-out slot until the Lambda times out.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface KeepAliveHttp {
  send(request: {
    method: string;
    hostname: string;
    port?: number;
    path: string;
    headers: Record<string, string>;
    body?: Buffer;
  }): Promise<HttpAnswer>;
  close(): void;
}

export class HttpTimeoutError extends Error {
  override readonly name = "TimeoutError";
}

/** `maxSockets`: the most pushes in flight at once, so every one has a warm connection to reuse. */
export function keepAliveHttp(protocol: string, maxSockets: number, timeoutMs: number): KeepAliveHttp {
  const secure = protocol === "https:";
  const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const request = secure ? httpsRequest : httpRequest;

  return {
    send: ({ body, ...options }) =>
      new Promise<HttpAnswer>((resolve, reject) => {
        const call = request({ ...options, agent }, (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => {
            clearTimeout(deadline);
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") });
          });
          response.on("error", fail);
        });
        const deadline = setTimeout(() => call.destroy(new HttpTimeoutError(`no answer within ${timeoutMs} ms`)), timeoutMs);
        function fail(error: Error) {
          clearTimeout(deadline);
          reject(error);
        }
        call.on("error", fail);
        call.end(body);
      }),
    close: () => agent.destroy(),
  };
}

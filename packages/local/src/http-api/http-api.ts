import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { HttpRouteDecl } from "@pushgate/core";
import { consoleLog, describeError, systemClock, type Clock, type Invoke, type Log } from "../invoke";
import { listen, readBody } from "../http-server";
import { loopbackHost, urlHost } from "../listen-host";
import { createCors, type CorsConfig } from "./cors";
import { httpEvent, newHttpRequestId } from "./events";
import { jsonMessage, mapHandlerResult, type HttpResponse } from "./result-mapping";
import { createRouteTable } from "./route-table";

export interface HttpApiOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** `METHOD /path/{param}` (or `$default`) -> declaration, as in topology.http.routes. */
  routes: Record<string, HttpRouteDecl>;
  invoke: Invoke;
  /** CORS of the API; on by default (any origin), `false` turns it off as on an API without a cors block. */
  cors?: CorsConfig | false;
  log?: Log;
  clock?: Clock;
  apiId?: string;
  accountId?: string;
  /** Request bodies over this answer 413 (AWS: 10 MB). */
  maxBodyBytes?: number;
}

export interface HttpApi {
  /** `http://127.0.0.1:P` (HTTP APIs' `$default` stage has no path prefix). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * An API Gateway HTTP API with Lambda proxy integrations, payload format 2.0:
 * routes matched by specificity, the v2 event, AWS's result mapping and error
 * bodies, and gateway-level CORS.
 */
export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const host = options.host ?? loopbackHost;
  const log = options.log ?? consoleLog;
  const clock = options.clock ?? systemClock;
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const table = createRouteTable(options.routes);
  const cors = options.cors === false ? undefined : createCors(options.cors ?? {});

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log("error", `HTTP API ${request.method} ${request.url} failed inside the emulator: ${describeError(error)}`);
      if (!response.headersSent) send(request, response, jsonMessage(500, "Internal Server Error"), newHttpRequestId());
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const requestId = newHttpRequestId();
    if (cors?.isPreflight(request)) {
      request.resume();
      response.setHeader("apigw-requestid", requestId);
      return cors.answerPreflight(request, response);
    }
    const rawPath = (request.url ?? "/").split("?")[0]!;
    const match = table.match(request.method ?? "GET", rawPath);
    if (!match) {
      request.resume();
      return send(request, response, jsonMessage(404, "Not Found"), requestId);
    }
    const body = await readBody(request, maxBodyBytes);
    if (body === "too large") return send(request, response, jsonMessage(413, "Request Entity Too Large"), requestId);

    const now = clock.now();
    const event = httpEvent(
      request,
      {
        routeKey: match.routeKey,
        pathParameters: match.pathParameters,
        body,
        sourceIp: (request.socket.remoteAddress ?? "unknown").replace(/^::ffff:/, ""),
        localPort: port,
        apiId: options.apiId ?? "pushgatehttp",
        accountId: options.accountId ?? "123456789012",
        now,
      },
      requestId,
    );
    let result: unknown;
    try {
      result = await options.invoke(match.value.function, event);
    } catch {
      // The invoker logged the error with the function's name; clients get AWS's generic body.
      return send(request, response, jsonMessage(500, "Internal Server Error"), requestId);
    }
    const mapped = mapHandlerResult(result);
    if (!mapped) {
      log(
        "error",
        `${match.routeKey} returned a malformed response (statusCode must be an integer, headers an object, body a string); answering 500 as API Gateway does`,
      );
      return send(request, response, jsonMessage(500, "Internal Server Error"), requestId);
    }
    send(request, response, mapped, requestId);
  }

  function send(request: IncomingMessage, response: ServerResponse, result: HttpResponse, requestId: string) {
    const headers: Record<string, string | string[]> = { ...result.headers };
    if (cors) {
      // The gateway's CORS answer replaces the integration's, as on AWS.
      for (const name of Object.keys(headers)) if (name.startsWith("access-control-")) delete headers[name];
      Object.assign(headers, cors.responseHeaders(request));
    }
    if (result.cookies.length > 0) headers["set-cookie"] = result.cookies;
    headers["apigw-requestid"] = requestId;
    headers["content-length"] = String(result.body.length);
    response.writeHead(result.statusCode, headers);
    response.end(request.method === "HEAD" ? undefined : result.body);
  }

  const port = await listen(server, options.port ?? 0, host);
  server.on("error", (error) => log("error", `HTTP API server error: ${describeError(error)}`));

  let stopping: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    stop: () =>
      (stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      })),
  };
}

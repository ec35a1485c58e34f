import type { IncomingMessage, ServerResponse } from "node:http";

/** An HTTP API's CORS configuration (the `cors` block of the API on AWS). */
export interface CorsConfig {
  /** Default `["*"]`. */
  allowOrigins?: readonly string[];
  /** Default: the headers pushgate's clients send. */
  allowHeaders?: readonly string[];
  /** Default: every method. */
  allowMethods?: readonly string[];
  exposeHeaders?: readonly string[];
  maxAgeSeconds?: number;
  allowCredentials?: boolean;
}

export const DEFAULT_CORS_ALLOW_HEADERS = ["authorization", "content-type", "x-operator-key", "if-none-match"];
const DEFAULT_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/**
 * CORS as API Gateway applies it: preflights are answered by the gateway
 * without invoking anything, and on other responses the gateway's CORS headers
 * replace whatever the integration returned.
 */
export function createCors(config: CorsConfig) {
  const allowOrigins = config.allowOrigins ?? ["*"];
  const allowHeaders = (config.allowHeaders ?? DEFAULT_CORS_ALLOW_HEADERS).map((header) => header.toLowerCase());
  const allowMethods = config.allowMethods ?? DEFAULT_METHODS;
  const wildcard = allowOrigins.includes("*") && !config.allowCredentials;

  /** The Access-Control-Allow-Origin value for this origin, or undefined when it is not allowed. */
  function allowedOrigin(origin: string | undefined): string | undefined {
    if (!origin) return undefined;
    if (wildcard) return "*";
    return allowOrigins.includes(origin) || allowOrigins.includes("*") ? origin : undefined;
  }

  function originHeaders(origin: string | undefined): Record<string, string> {
    const allowed = allowedOrigin(origin);
    if (!allowed) return {};
    const headers: Record<string, string> = { "access-control-allow-origin": allowed };
    if (allowed !== "*") headers.vary = "Origin";
    if (config.allowCredentials) headers["access-control-allow-credentials"] = "true";
    if (config.exposeHeaders?.length) headers["access-control-expose-headers"] = config.exposeHeaders.join(",");
    return headers;
  }

  return {
    isPreflight(request: IncomingMessage) {
      return (
        request.method === "OPTIONS" &&
        typeof request.headers.origin === "string" &&
        typeof request.headers["access-control-request-method"] === "string"
      );
    },

    answerPreflight(request: IncomingMessage, response: ServerResponse) {
      const headers = originHeaders(request.headers.origin);
      if (headers["access-control-allow-origin"]) {
        headers["access-control-allow-methods"] = allowMethods.join(",");
        headers["access-control-allow-headers"] = allowHeaders.join(",");
        if (config.maxAgeSeconds !== undefined) headers["access-control-max-age"] = String(config.maxAgeSeconds);
      }
      response.writeHead(204, headers);
      response.end();
    },

    /** Headers to set on a normal response (replacing the integration's CORS headers). */
    responseHeaders(request: IncomingMessage): Record<string, string> {
      return originHeaders(request.headers.origin);
    },
  };
}

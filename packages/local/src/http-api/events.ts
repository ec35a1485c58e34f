import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { formatRequestTime } from "../http-server";

export interface HttpEventFacts {
  routeKey: string;
  pathParameters: Record<string, string> | undefined;
  body: Buffer;
  sourceIp: string;
  localPort: number;
  apiId: string;
  accountId: string;
  now: number;
}

/**
 * Bodies API Gateway passes as text; everything else (including form posts and
 * requests without a content type) arrives base64-encoded, a classic surprise
 * worth reproducing.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return (
    type.startsWith("text/") ||
    type === "application/json" ||
    type.endsWith("+json") ||
    type === "application/xml" ||
    type.endsWith("+xml") ||
    type === "application/javascript"
  );
}

/** An AWS request id shaped like HTTP APIs' (`apigw-requestid`), e.g. `Fp3nBjY9IAMEb2Q=`. */
export const newHttpRequestId = () => randomBytes(11).toString("base64");

/** The payload format 2.0 event for one request. */
export function httpEvent(request: IncomingMessage, facts: HttpEventFacts, requestId: string): APIGatewayProxyEventV2 {
  const rawUrl = request.url ?? "/";
  const queryAt = rawUrl.indexOf("?");
  const rawPath = queryAt >= 0 ? rawUrl.slice(0, queryAt) : rawUrl;
  const rawQueryString = queryAt >= 0 ? rawUrl.slice(queryAt + 1) : "";

  // Lowercased names, repeated headers joined with commas; cookies move to their own field.
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    const value = request.rawHeaders[i + 1]!;
    if (name === "cookie") {
      (cookies ??= []).push(
        ...value
          .split(";")
          .map((cookie) => cookie.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  headers["x-forwarded-for"] = headers["x-forwarded-for"] ? `${headers["x-forwarded-for"]}, ${facts.sourceIp}` : facts.sourceIp;
  headers["x-forwarded-port"] = String(facts.localPort);
  headers["x-forwarded-proto"] = "http";

  let queryStringParameters: Record<string, string> | undefined;
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters ??= {};
    queryStringParameters[key] = queryStringParameters[key] === undefined ? value : `${queryStringParameters[key]},${value}`;
  }

  const domainName = headers.host ?? `127.0.0.1:${facts.localPort}`;
  const event: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey: facts.routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: facts.accountId,
      apiId: facts.apiId,
      domainName,
      domainPrefix: domainName.split(".")[0]!.split(":")[0]!,
      http: {
        method: request.method ?? "GET",
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: facts.sourceIp,
        userAgent: request.headers["user-agent"] ?? "",
      },
      requestId,
      routeKey: facts.routeKey,
      stage: "$default",
      time: formatRequestTime(facts.now),
      timeEpoch: facts.now,
    },
    isBase64Encoded: false,
  };
  if (cookies) event.cookies = cookies;
  if (queryStringParameters) event.queryStringParameters = queryStringParameters;
  if (facts.pathParameters) event.pathParameters = facts.pathParameters;
  if (facts.body.length > 0) {
    const text = isTextContentType(request.headers["content-type"]);
    event.body = text ? facts.body.toString("utf8") : facts.body.toString("base64");
    event.isBase64Encoded = !text;
  }
  return event;
}

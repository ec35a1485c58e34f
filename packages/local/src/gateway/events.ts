import type { IncomingMessage } from "node:http";
import { formatRequestTime } from "../http-server";
import { newMessageId, newRequestId } from "./ids";

/**
 * Lambda proxy events for WebSocket routes, shaped as API Gateway sends them
 * (see docs/aws-facts.md, "API Gateway WebSocket semantics"). `APIGatewayProxyWebsocketEventV2` from @types/aws-lambda
 * lacks identity, headers and the disconnect fields, hence these types.
 */
export interface WebSocketRequestContext {
  routeKey: string;
  eventType: "CONNECT" | "MESSAGE" | "DISCONNECT";
  /** Null on $connect and $disconnect. */
  messageId: string | null;
  extendedRequestId: string;
  requestTime: string;
  messageDirection: "IN";
  stage: string;
  connectedAt: number;
  requestTimeEpoch: number;
  identity: { sourceIp: string; userAgent?: string };
  requestId: string;
  domainName: string;
  connectionId: string;
  apiId: string;
  disconnectStatusCode?: number;
  disconnectReason?: string;
}

export interface WebSocketEvent {
  requestContext: WebSocketRequestContext;
  /** $connect only, with the header names as the client spelled them. */
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  /** $connect only, and only when the URL has a query string. */
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  /** Messages only. */
  body?: string;
  isBase64Encoded: boolean;
}

/** What every event of one connection shares. */
export interface ConnectionFacts {
  connectionId: string;
  connectedAt: number;
  sourceIp: string;
  userAgent: string;
  stage: string;
  apiId: string;
  domainName: string;
}


function baseContext(facts: ConnectionFacts, now: number, routeKey: string, eventType: WebSocketRequestContext["eventType"]): WebSocketRequestContext {
  return {
    routeKey,
    eventType,
    messageId: null,
    extendedRequestId: newRequestId(),
    requestTime: formatRequestTime(now),
    messageDirection: "IN",
    stage: facts.stage,
    connectedAt: facts.connectedAt,
    requestTimeEpoch: now,
    identity: { sourceIp: facts.sourceIp, userAgent: facts.userAgent },
    requestId: newRequestId(),
    domainName: facts.domainName,
    connectionId: facts.connectionId,
    apiId: facts.apiId,
  };
}

/** Headers from rawHeaders, so names keep the client's spelling as on AWS. */
function headersOf(request: IncomingMessage, facts: ConnectionFacts, localPort: number) {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const add = (name: string, value: string) => {
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  };
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) add(request.rawHeaders[i]!, request.rawHeaders[i + 1]!);
  // Added by API Gateway's front end on AWS.
  add("X-Forwarded-For", facts.sourceIp);
  add("X-Forwarded-Port", String(localPort));
  add("X-Forwarded-Proto", "http");
  return { headers, multiValueHeaders };
}

export function connectEvent(facts: ConnectionFacts, request: IncomingMessage, now: number, localPort: number): WebSocketEvent {
  const event: WebSocketEvent = {
    requestContext: baseContext(facts, now, "$connect", "CONNECT"),
    ...headersOf(request, facts, localPort),
    isBase64Encoded: false,
  };
  const query = new URL(request.url ?? "/", "http://localhost").searchParams;
  if ([...query.keys()].length > 0) {
    event.queryStringParameters = {};
    event.multiValueQueryStringParameters = {};
    for (const [key, value] of query) {
      event.queryStringParameters[key] = value;
      (event.multiValueQueryStringParameters[key] ??= []).push(value);
    }
  }
  return event;
}

export function messageEvent(facts: ConnectionFacts, routeKey: string, body: string, now: number): WebSocketEvent {
  const requestContext = baseContext(facts, now, routeKey, "MESSAGE");
  requestContext.messageId = newMessageId();
  // AWS sends only the source IP on message events.
  requestContext.identity = { sourceIp: facts.sourceIp };
  return { requestContext, body, isBase64Encoded: false };
}

export function disconnectEvent(facts: ConnectionFacts, statusCode: number, reason: string, now: number): WebSocketEvent {
  const requestContext = baseContext(facts, now, "$disconnect", "DISCONNECT");
  requestContext.disconnectStatusCode = statusCode;
  requestContext.disconnectReason = reason;
  return { requestContext, isBase64Encoded: false };
}

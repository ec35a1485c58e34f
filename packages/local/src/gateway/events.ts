import type { IncomingMessage } from "node:http";
import { formatRequestTime } from "../http-server";
import { newMessageId, newRequestId } from "./ids";

/**
 * Lambda proxy events for WebSocket routes, shaped as API Gateway sends them
 * (see docs/aws-facts.md, "API Gateway WebSocket semantics"). `APIGatewayProxyWebsocketEventV2` from @types/aws-lambda
 * lacks identity, headers and the disconnect fields, hence these types.
 *
 * The shapes follow events captured from AWS: aws/aws-lambda-go
 * events/testdata/apigw-websocket-request-disconnect.json and
 * apigw-websocket-request-send-message.json (2024), and a $connect event
 * published in gist.github.com/noid11/4aa8933d0b5cdbcc09d377c5d65d28c1 (2020).
 * In all of them requestId equals extendedRequestId.
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
  identity: ConnectIdentity | MessageIdentity;
  requestId: string;
  domainName: string;
  connectionId: string;
  apiId: string;
  disconnectStatusCode?: number;
  disconnectReason?: string;
}

/** On messages and $disconnect: the two fields AWS fills. */
export interface MessageIdentity {
  sourceIp: string;
  /** The handshake's User-Agent; null without one. */
  userAgent: string | null;
}

/** On $connect AWS sends every field of an API Gateway identity, null where it has nothing (no IAM or Cognito on a WebSocket upgrade). */
export interface ConnectIdentity extends MessageIdentity {
  cognitoIdentityPoolId: null;
  cognitoIdentityId: null;
  principalOrgId: null;
  cognitoAuthenticationType: null;
  userArn: null;
  accountId: null;
  caller: null;
  accessKey: null;
  cognitoAuthenticationProvider: null;
  user: null;
}

export interface WebSocketEvent {
  requestContext: WebSocketRequestContext;
  /** $connect: the handshake's, with the names as the client spelled them; $disconnect: the few AWS sends (Host among them). */
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
  /** Empty when the handshake had none. */
  userAgent: string;
  stage: string;
  apiId: string;
  domainName: string;
}

const messageIdentity = (facts: ConnectionFacts): MessageIdentity => ({ sourceIp: facts.sourceIp, userAgent: facts.userAgent || null });

const connectIdentity = (facts: ConnectionFacts): ConnectIdentity => ({
  cognitoIdentityPoolId: null,
  cognitoIdentityId: null,
  principalOrgId: null,
  cognitoAuthenticationType: null,
  userArn: null,
  ...messageIdentity(facts),
  accountId: null,
  caller: null,
  accessKey: null,
  cognitoAuthenticationProvider: null,
  user: null,
});

function baseContext(
  facts: ConnectionFacts,
  now: number,
  routeKey: string,
  eventType: WebSocketRequestContext["eventType"],
): WebSocketRequestContext {
  // One id per request, reported under both names as AWS does.
  const requestId = newRequestId();
  return {
    routeKey,
    eventType,
    messageId: null,
    extendedRequestId: requestId,
    requestTime: formatRequestTime(now),
    messageDirection: "IN",
    stage: facts.stage,
    connectedAt: facts.connectedAt,
    requestTimeEpoch: now,
    identity: messageIdentity(facts),
    requestId,
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
  const requestContext = baseContext(facts, now, "$connect", "CONNECT");
  requestContext.identity = connectIdentity(facts);
  const event: WebSocketEvent = {
    requestContext,
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
  return { requestContext, body, isBase64Encoded: false };
}

export function disconnectEvent(facts: ConnectionFacts, statusCode: number, reason: string, now: number): WebSocketEvent {
  const requestContext = baseContext(facts, now, "$disconnect", "DISCONNECT");
  requestContext.disconnectStatusCode = statusCode;
  requestContext.disconnectReason = reason;
  return { requestContext, ...disconnectHeaders(facts), isBase64Encoded: false };
}

/**
 * The headers AWS puts on $disconnect, whatever the handshake carried: Host
 * (the API's domain), and x-api-key, X-Forwarded-For and x-restapi, empty.
 * Handlers written for AWS read `event.headers.Host` here.
 */
function disconnectHeaders(facts: ConnectionFacts) {
  const headers: Record<string, string> = { Host: facts.domainName, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": "" };
  const multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
  return { headers, multiValueHeaders };
}

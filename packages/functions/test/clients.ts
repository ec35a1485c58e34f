/** The real `@pushgate/client` in Node with `ws`, plus what the fault tests compare it to: the source tables. */
import { ApiGatewayManagementApiClient, GetConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, paginateScan } from "@aws-sdk/lib-dynamodb";
import { createPushClient, type PushClient } from "@pushgate/client";
import type { LocalCloud } from "@pushgate/local";
import WebSocket from "ws";

export interface WatchedClient {
  client: PushClient;
  /** Seqs applied, in order, per topic. */
  applied: Map<string, number[]>;
  /** Publications dropped as already seen (at-least-once duplicates). */
  stale: number;
  /** Subscribe acks received (one per socket that subscribed). */
  acks: number;
  /** Live and subscribed. */
  ready(): boolean;
  seq(topic: string): number;
  data(topic: string): unknown;
}

export function realClient(
  cloud: LocalCloud,
  topics: string[],
  options: { polling?: false; WebSocket?: typeof WebSocket } = {},
): WatchedClient {
  const client = createPushClient({
    httpApiUrl: cloud.endpoints.httpApiUrl!,
    websocketUrl: cloud.endpoints.websocketUrl,
    topics,
    WebSocket: (options.WebSocket ?? WebSocket) as never,
    online: null,
    reconnect: { baseMs: 100, capMs: 1_000 },
    stableAfterMs: 500,
    ...(options.polling === false && { polling: false as const }),
  });
  const watched: WatchedClient = {
    client,
    applied: new Map(),
    stale: 0,
    acks: 0,
    ready: () => client.getState() === "live" && watched.acks > 0,
    seq: (topic) => client.topic(topic).getSnapshot().seq,
    data: (topic) => client.topic(topic).getSnapshot().data,
  };
  client.on("message", ({ frame }) => {
    const list = watched.applied.get(frame.topic) ?? [];
    list.push(frame.seq);
    watched.applied.set(frame.topic, list);
  });
  client.on("stale", () => watched.stale++);
  client.on("subscribed", () => watched.acks++);
  client.connect();
  return watched;
}

/** The source of truth for a game: its item in the games table (consistent read). */
export async function sourceGame(cloud: LocalCloud, gameId: string): Promise<{ seq: number; home: number; away: number } | undefined> {
  const db = adminDocumentClient(cloud);
  const { Item } = await db.send(new GetCommand({ TableName: cloud.endpoints.tables.games!, Key: { gameId }, ConsistentRead: true }));
  db.destroy();
  return Item as { seq: number; home: number; away: number } | undefined;
}

/** The test's own DynamoDB clients, with the local cloud's full-access credentials (the functions' environment is theirs alone). */
export const adminDynamoClient = (cloud: LocalCloud) =>
  new DynamoDBClient({ region: cloud.endpoints.region, endpoint: cloud.endpoints.dynamodbEndpoint, credentials: cloud.adminCredentials });

export const adminDocumentClient = (cloud: LocalCloud) =>
  DynamoDBDocumentClient.from(adminDynamoClient(cloud), { marshallOptions: { removeUndefinedValues: true } });

export const adminManagementClient = (cloud: LocalCloud) =>
  new ApiGatewayManagementApiClient({
    region: cloud.endpoints.region,
    endpoint: cloud.endpoints.managementEndpoint,
    credentials: cloud.adminCredentials,
  });

export interface HttpCallOptions {
  /** JSON-encoded unless already a string (a malformed body, on purpose). */
  body?: unknown;
  /** A fan's session token, sent as `Authorization: Bearer`. */
  token?: string;
  /** Send the operator key, as a producer does. */
  operator?: boolean;
}

/** One call to the local cloud's HTTP API, answered as status and JSON body. */
export async function callHttpApi(cloud: LocalCloud, method: string, path: string, options: HttpCallOptions = {}) {
  const response = await fetch(`${cloud.endpoints.httpApiUrl}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(options.token && { authorization: `Bearer ${options.token}` }),
      ...(options.operator && { "x-operator-key": cloud.endpoints.operatorKey }),
    },
    ...(options.body !== undefined && { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** What the subscriptions and connections tables hold, against the gateway's live connections. */
export interface SubscriptionAudit {
  /** Subscription items read. */
  subscriptions: number;
  /** Subscription items whose connection the gateway no longer has (GetConnection answers 410): pushed to for nothing until TTL. */
  orphaned: { connectionId: string; topic: string }[];
  /** Each live connection's fan and the topics its subscription items name. */
  live: Map<string, { fanId: string; subscribed: Set<string>; topicsOnConnection: Set<string> }>;
  /** The most topics any connection item holds. */
  mostTopicsOnAConnection: number;
}

/**
 * Reads both tables whole (a test and soak tool: a Scan is fine here, never in
 * the product) and asks the gateway about every connection they name.
 */
export async function auditSubscriptions(cloud: LocalCloud): Promise<SubscriptionAudit> {
  const db = adminDocumentClient(cloud);
  const management = adminManagementClient(cloud);
  try {
    const scan = async <T>(table: string): Promise<T[]> => {
      const items: T[] = [];
      for await (const page of paginateScan({ client: db }, { TableName: table, ConsistentRead: true }))
        items.push(...((page.Items ?? []) as T[]));
      return items;
    };
    const subscriptions = await scan<{ connectionId: string; topic: string; fanId: string }>(cloud.endpoints.tables.subscriptions!);
    const connections = await scan<{ connectionId: string; fanId: string; topics?: Set<string> }>(cloud.endpoints.tables.connections!);
    const ids = new Set([...subscriptions.map((s) => s.connectionId), ...connections.map((c) => c.connectionId)]);
    const alive = new Set<string>();
    for (const connectionId of ids) {
      const answer = await management.send(new GetConnectionCommand({ ConnectionId: connectionId })).then(
        () => "live",
        (error: { name?: string }) => error.name,
      );
      if (answer === "live") alive.add(connectionId);
      else if (answer !== "GoneException") throw new Error(`GetConnection ${connectionId} failed with ${answer}; is the gateway up?`);
    }
    const live = new Map<string, { fanId: string; subscribed: Set<string>; topicsOnConnection: Set<string> }>();
    for (const connection of connections)
      if (alive.has(connection.connectionId))
        live.set(connection.connectionId, {
          fanId: connection.fanId,
          subscribed: new Set(),
          topicsOnConnection: new Set(connection.topics ?? []),
        });
    const orphaned: SubscriptionAudit["orphaned"] = [];
    for (const { connectionId, topic } of subscriptions) {
      const holder = live.get(connectionId);
      if (holder) holder.subscribed.add(topic);
      else orphaned.push({ connectionId, topic });
    }
    return {
      subscriptions: subscriptions.length,
      orphaned,
      live,
      mostTopicsOnAConnection: Math.max(0, ...connections.map((c) => c.topics?.size ?? 0)),
    };
  } finally {
    db.destroy();
    management.destroy();
  }
}

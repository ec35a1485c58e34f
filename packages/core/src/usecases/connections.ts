/**
 * `$connect` and `$disconnect`, and forgetting a connection the gateway
 * reported gone (the fan-out's cleanup is the same as a disconnect).
 */
import { subprotocolToken } from "../auth";
import type { FanVerifier } from "../identity";
import { SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from "../protocol";
import type { Clock, ConnectionStore, Meter, SubscriptionStore } from "../ports";
import { shardForTopic, shardsAtConnect } from "../shards";

/** API Gateway closes every socket after 2 hours; the TTL sweeps those that never saw `$disconnect`. */
export const CONNECTION_TTL_SECONDS = 2 * 3600 + 15 * 60;

export const connectionExpiry = (now: Date): number => Math.floor(now.getTime() / 1000) + CONNECTION_TTL_SECONDS;

export interface ConnectDeps {
  connections: ConnectionStore;
  tokens: FanVerifier;
  clock: Clock;
  meter: Meter;
  subscriptions: Pick<SubscriptionStore, "shardCounts">;
}

/** Verifies the token offered in `Sec-WebSocket-Protocol` and stores the connection; UNAUTHORIZED otherwise. */
export async function connect(
  deps: ConnectDeps,
  input: { connectionId: string; secWebSocketProtocol: string | undefined },
): Promise<{ fanId: string; subprotocol: string }> {
  const fanId = await deps.tokens.verify(subprotocolToken(input.secWebSocketProtocol, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX));
  const now = new Date(deps.clock.now());
  await deps.connections.put({
    connectionId: input.connectionId,
    fanId,
    topics: [],
    connectedAt: now.toISOString(),
    expiresAt: connectionExpiry(now),
    // Chosen once and kept: its subscriptions stay findable if a kind's shard count changes while it lives.
    shards: shardsAtConnect(input.connectionId, deps.subscriptions.shardCounts),
  });
  deps.meter.count("ConnectionsOpened", 1);
  return { fanId, subprotocol: SUBPROTOCOL };
}

export interface ForgetDeps {
  connections: ConnectionStore;
  subscriptions: SubscriptionStore;
  meter: Meter;
}

/** Deletes a connection and every subscription it held; a connection already gone is fine. */
export async function forgetConnection(deps: ForgetDeps, connectionId: string): Promise<void> {
  const connection = await deps.connections.delete(connectionId);
  if (!connection) return;
  // Counted once, by whichever of $disconnect or a fan-out's 410 got there first: opened minus closed is the open connections.
  deps.meter.count("ConnectionsClosed", 1);
  if (connection.topics.length === 0) return;
  const { shardCounts } = deps.subscriptions;
  await deps.subscriptions.deleteAll(
    connection.topics.map((topic) => ({ topic, connectionId, shard: shardForTopic(connection, topic, shardCounts) })),
  );
}

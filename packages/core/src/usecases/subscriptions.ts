/**
 * `subscribe`, `unsubscribe` and the snapshot URLs for a client whose socket is
 * down. Every topic of a request has its own outcome (protocol.md, "per-topic
 * outcomes"): one forbidden or invalid topic, or one past the connection's
 * cap, is refused alone and the others are subscribed, in one answer.
 */
import { isPushgateError, PushgateError, toErrorFrame } from "../errors";
import type { RefusedTopic, SnapshotsResponse, SubscribedFrame, SubscribeFrame, UnsubscribedFrame, UnsubscribeFrame } from "../protocol";
import { MAX_TOPICS_PER_REQUEST } from "../protocol";
import type { ConnectionStore, GameStore, JobStore, QueueStore, SnapshotStore, SubscriptionStore } from "../ports";
import { shardForTopic } from "../shards";
import { authorizeTopic, GAME_LIST_ITEM_ID, parseTopic, type Topic } from "../topics";

export interface SubscribeDeps {
  connections: ConnectionStore;
  subscriptions: SubscriptionStore;
  games: GameStore;
  queues: QueueStore;
  jobs: JobStore;
  snapshots: SnapshotStore;
  maxTopicsPerConnection: number;
}

const unknownConnection = () =>
  new PushgateError("FORBIDDEN", "this connection is no longer known (expired or closed); reconnect and subscribe again");

export async function subscribe(deps: SubscribeDeps, connectionId: string, frame: SubscribeFrame): Promise<SubscribedFrame> {
  const connection = await deps.connections.get(connectionId);
  if (!connection) throw unknownConnection();
  const { allowed, refused } = await sortTopics(deps, connection.fanId, frame.topics);

  // Subscribe before reading seq: a publication that lands in between is then
  // pushed with a seq at or above the ack's, never lost in a gap.
  const held = await deps.connections.addTopicsWithin(
    connectionId,
    allowed.map((topic) => topic.name),
    deps.maxTopicsPerConnection,
  );
  if (!held) throw unknownConnection();
  const heldNames = new Set(held);
  const topics = allowed.filter((topic) => heldNames.has(topic.name));
  for (const topic of allowed) {
    if (heldNames.has(topic.name)) continue;
    refused.push({
      topic: topic.name,
      code: "BAD_REQUEST",
      message: `a connection may hold at most ${deps.maxTopicsPerConnection} topics; unsubscribe from some, then subscribe to ${topic.name} again`,
    });
  }
  await deps.subscriptions.putAll(
    topics.map((topic) => ({
      topic: topic.name,
      connectionId,
      fanId: connection.fanId,
      expiresAt: connection.expiresAt,
      shard: shardForTopic(connection, topic.name, deps.subscriptions.shardCounts),
    })),
  );
  // At most MAX_TOPICS_PER_REQUEST reads, and the ack needs every one of them.
  const acked = await Promise.all(
    topics.map(async (topic) => ({
      topic: topic.name,
      seq: await currentSeq(deps, topic),
      snapshotUrl: (await deps.snapshots.presignSnapshot(topic.name)).url,
    })),
  );
  return { type: "subscribed", id: frame.id, topics: acked, ...(refused.length > 0 && { refused }) };
}

export async function unsubscribe(
  deps: Pick<SubscribeDeps, "connections" | "subscriptions">,
  connectionId: string,
  frame: UnsubscribeFrame,
): Promise<UnsubscribedFrame> {
  const names = unique(frame.topics.map((name) => parseTopic(name).name));
  // Where subscribe wrote: the connection's shard of each kind; a connection already gone (its disconnect
  // deleted its subscriptions) falls back to the shard its id hashes to now.
  const connection = (await deps.connections.get(connectionId)) ?? { connectionId };
  const { shardCounts } = deps.subscriptions;
  await deps.subscriptions.deleteAll(names.map((topic) => ({ topic, connectionId, shard: shardForTopic(connection, topic, shardCounts) })));
  await deps.connections.removeTopics(connectionId, names);
  return { type: "unsubscribed", id: frame.id, topics: names };
}

/** `GET /snapshots?topics=a,b`: presigned snapshot URLs, with the same authorization as subscribe. */
/** `GET /snapshots?topics=a,b`: presigned snapshot URLs, with the same authorization as subscribe, per topic. */
export async function snapshotsFor(
  deps: Pick<SubscribeDeps, "jobs" | "snapshots">,
  fanId: string,
  topicsParam: string | undefined,
): Promise<SnapshotsResponse> {
  const names = (topicsParam ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (names.length === 0 || names.length > MAX_TOPICS_PER_REQUEST) {
    throw new PushgateError("BAD_REQUEST", `pass 1 to ${MAX_TOPICS_PER_REQUEST} topics as ?topics=game/g1,queue/e1`);
  }
  const { allowed, refused } = await sortTopics(deps, fanId, names);
  const snapshots = [];
  for (const topic of allowed) snapshots.push({ topic: topic.name, url: (await deps.snapshots.presignSnapshot(topic.name)).url });
  return { snapshots, ...(refused.length > 0 && { refused }) };
}

/**
 * Each topic's own outcome: the grammar, then the owner for jobs. A refusal
 * (PushgateError) concerns that topic alone; anything else is an outage and
 * fails the request, which the client sends again.
 */
async function sortTopics(
  deps: Pick<SubscribeDeps, "jobs">,
  fanId: string,
  names: string[],
): Promise<{ allowed: Topic[]; refused: RefusedTopic[] }> {
  const allowed: Topic[] = [];
  const refused: RefusedTopic[] = [];
  for (const name of unique(names)) {
    try {
      const topic = parseTopic(name);
      await authorizeTopic(topic, fanId, { jobOwner: async (jobId) => (await deps.jobs.get(jobId))?.fanId });
      allowed.push(topic);
    } catch (error) {
      if (!isPushgateError(error)) throw error;
      const { code } = toErrorFrame(error);
      refused.push({ topic: name, code, message: error.message });
    }
  }
  return { allowed, refused };
}

function currentSeq(deps: Pick<SubscribeDeps, "games" | "queues" | "jobs">, topic: Topic): Promise<number> {
  if (topic.type === "games") return deps.games.currentSeq(GAME_LIST_ITEM_ID);
  const source = { game: deps.games, queue: deps.queues, job: deps.jobs }[topic.type];
  return source.currentSeq(topic.id);
}

const unique = (names: string[]) => [...new Set(names)];

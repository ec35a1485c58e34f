/**
 * `subscribe`, `unsubscribe` and the snapshot URLs for a client whose socket is
 * down. Every topic of a request is checked (grammar, then owner for jobs)
 * before anything is written, so a request is applied whole or not at all.
 */
import { PushgateError } from "../errors";
import type { SnapshotsResponse, SubscribedFrame, SubscribeFrame, UnsubscribedFrame, UnsubscribeFrame } from "../protocol";
import { MAX_TOPICS_PER_REQUEST } from "../protocol";
import type { ConnectionStore, GameStore, JobStore, QueueStore, SnapshotStore, SubscriptionStore } from "../ports";
import { authorizeTopic, parseTopic, type Topic } from "../topics";

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
  const topics = await authorizedTopics(deps, connection.fanId, frame.topics);

  const held = new Set([...connection.topics, ...topics.map((topic) => topic.name)]);
  if (held.size > deps.maxTopicsPerConnection) {
    throw new PushgateError(
      "BAD_REQUEST",
      `a connection may hold at most ${deps.maxTopicsPerConnection} topics (this would make ${held.size}); unsubscribe from some first`,
    );
  }
  // Subscribe before reading seq: a publication that lands in between is then
  // pushed with a seq at or above the ack's, never lost in a gap.
  if (!(await deps.connections.addTopics(connectionId, topics.map((topic) => topic.name)))) throw unknownConnection();
  await deps.subscriptions.putAll(
    topics.map((topic) => ({ topic: topic.name, connectionId, fanId: connection.fanId, expiresAt: connection.expiresAt })),
  );
  // At most MAX_TOPICS_PER_REQUEST reads, and the ack needs every one of them.
  const acked = await Promise.all(
    topics.map(async (topic) => ({
      topic: topic.name,
      seq: await currentSeq(deps, topic),
      snapshotUrl: (await deps.snapshots.presignSnapshot(topic.name)).url,
    })),
  );
  return { type: "subscribed", id: frame.id, topics: acked };
}

export async function unsubscribe(
  deps: Pick<SubscribeDeps, "connections" | "subscriptions">,
  connectionId: string,
  frame: UnsubscribeFrame,
): Promise<UnsubscribedFrame> {
  const names = unique(frame.topics.map((name) => parseTopic(name).name));
  await deps.subscriptions.deleteAll(names.map((topic) => ({ topic, connectionId })));
  await deps.connections.removeTopics(connectionId, names);
  return { type: "unsubscribed", id: frame.id, topics: names };
}

/** `GET /snapshots?topics=a,b`: presigned snapshot URLs, with the same authorization as subscribe. */
export async function snapshotsFor(
  deps: Pick<SubscribeDeps, "jobs" | "snapshots">,
  fanId: string,
  topicsParam: string | undefined,
): Promise<SnapshotsResponse> {
  const names = (topicsParam ?? "").split(",").map((name) => name.trim()).filter((name) => name.length > 0);
  if (names.length === 0 || names.length > MAX_TOPICS_PER_REQUEST) {
    throw new PushgateError("BAD_REQUEST", `pass 1 to ${MAX_TOPICS_PER_REQUEST} topics as ?topics=game/g1,queue/e1`);
  }
  const topics = await authorizedTopics(deps, fanId, names);
  const snapshots = [];
  for (const topic of topics) snapshots.push({ topic: topic.name, url: (await deps.snapshots.presignSnapshot(topic.name)).url });
  return { snapshots };
}

async function authorizedTopics(deps: Pick<SubscribeDeps, "jobs">, fanId: string, names: string[]): Promise<Topic[]> {
  const topics = unique(names).map(parseTopic);
  for (const topic of topics) await authorizeTopic(topic, fanId, { jobOwner: async (jobId) => (await deps.jobs.get(jobId))?.fanId });
  return topics;
}

function currentSeq(deps: Pick<SubscribeDeps, "games" | "queues" | "jobs">, topic: Topic): Promise<number> {
  const source = { game: deps.games, queue: deps.queues, job: deps.jobs }[topic.type];
  return source.currentSeq(topic.id);
}

const unique = (names: string[]) => [...new Set(names)];

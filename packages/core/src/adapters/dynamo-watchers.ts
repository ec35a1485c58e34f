/**
 * WatcherCounters over the watchers table: one item per game subscription
 * shard (`counterId` = `game/g1#3`, the subscriptions table's partition key),
 * `count` moved with ADD under a condition on `lastSequence`, the stream
 * sequence number of the last record counted, so a retried batch never counts
 * twice. Items expire a week after their last change (a game's counters
 * outlive its audience).
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { AddOutcome, Clock, WatcherCounters } from "../ports";
import { topicShardKey } from "../shards";
import { topicName } from "../topics";

const KEEP_SECONDS = 7 * 24 * 3600;
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;

export class DynamoWatcherCounters implements WatcherCounters {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: () => string,
    private readonly clock: Clock,
  ) {}

  async add(counterId: string, gameId: string, delta: number, firstSequence: string, lastSequence: string): Promise<AddOutcome> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName(),
          Key: { counterId },
          UpdateExpression: "ADD #count :delta SET lastSequence = :last, gameId = :gameId, expiresAt = :expiresAt",
          ConditionExpression: "attribute_not_exists(lastSequence) OR lastSequence < :first",
          ExpressionAttributeNames: { "#count": "count" },
          ExpressionAttributeValues: {
            ":delta": delta,
            ":last": lastSequence,
            ":first": firstSequence,
            ":gameId": gameId,
            ":expiresAt": Math.floor(this.clock.now() / 1000) + KEEP_SECONDS,
          },
        }),
      );
      return { added: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName(), Key: { counterId }, ProjectionExpression: "lastSequence", ConsistentRead: true }),
    );
    return { added: false, lastCounted: String(Item?.lastSequence ?? "") };
  }

  async sum(gameId: string, shardCount: number): Promise<number> {
    const topic = topicName("game", gameId);
    let keys: Record<string, unknown>[] = Array.from({ length: shardCount }, (_, shard) => ({ counterId: topicShardKey(topic, shard) }));
    let total = 0;
    let throttled = 0;
    while (keys.length > 0) {
      const batch = keys.slice(0, BATCH_GET_KEYS);
      const output = await this.db.send(
        new BatchGetCommand({
          RequestItems: {
            [this.tableName()]: { Keys: batch, ProjectionExpression: "#count", ExpressionAttributeNames: { "#count": "count" } },
          },
        }),
      );
      for (const item of output.Responses?.[this.tableName()] ?? []) total += typeof item.count === "number" ? item.count : 0;
      const unprocessed = output.UnprocessedKeys?.[this.tableName()]?.Keys ?? [];
      keys = [...unprocessed, ...keys.slice(BATCH_GET_KEYS)];
      if (unprocessed.length === 0) continue;
      if (++throttled > 8)
        throw new Error(`reading the watcher counters of ${gameId} was throttled 8 times in a row; the batch is retried`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** throttled)));
    }
    return total;
  }
}

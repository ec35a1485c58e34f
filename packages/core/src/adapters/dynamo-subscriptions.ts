/**
 * SubscriptionStore over the subscriptions table: partition `topic#shard`,
 * sort `connectionId`. Listing is a paginated Query of one shard, never a Scan.
 */
import { QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ListOptions, Subscription, SubscriptionKey, SubscriptionStore } from "../ports";
import { topicShardKey, type ShardCounts } from "../shards";
import { batchWriteAll, type WriteRequest } from "./dynamo-batch-write";

interface SubscriptionItem {
  topicShard: string;
  connectionId: string;
  topic: string;
  fanId: string;
  expiresAt: number;
  /** The shard it was written to (items written before it was kept do not say: the key does). */
  shard?: number;
}

const keyOf = (key: SubscriptionKey): string => topicShardKey(key.topic, key.shard);

export class DynamoSubscriptionStore implements SubscriptionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: () => string,
    /** Per topic kind: config.subscriptionShards (topology `subscriptionShards`, or the environment's override). */
    readonly shardCounts: ShardCounts,
    /** Query Limit; DynamoDB's own 1 MB page when unset. Tests set it low to exercise pagination. */
    private readonly pageSize?: number,
  ) {}

  async putAll(subscriptions: Subscription[]): Promise<void> {
    await this.write(
      subscriptions.map((subscription) => ({
        PutRequest: { Item: { ...subscription, topicShard: keyOf(subscription) } satisfies SubscriptionItem },
      })),
    );
  }

  async deleteAll(keys: SubscriptionKey[]): Promise<void> {
    await this.write(keys.map((key) => ({ DeleteRequest: { Key: { topicShard: keyOf(key), connectionId: key.connectionId } } })));
  }

  async *listShard(topic: string, shard: number, options: ListOptions = {}): AsyncIterable<Subscription[]> {
    const key = topicShardKey(topic, shard);
    let startKey: Record<string, unknown> | undefined =
      options.after === undefined ? undefined : { topicShard: key, connectionId: options.after };
    const limit = options.pageSize ?? this.pageSize;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName(),
          KeyConditionExpression: "topicShard = :key",
          ExpressionAttributeValues: { ":key": key },
          ExclusiveStartKey: startKey,
          Limit: limit,
          // Strongly consistent: a subscription acknowledged before the publication must be read, or its
          // push is missed while the ack told the client it need not resync (issue 11; bench/cost-model.ts).
          ConsistentRead: true,
        }),
      );
      const items = (page.Items ?? []) as SubscriptionItem[];
      // The shard is the one the item was read from, whatever it says (older items do not say).
      if (items.length > 0)
        yield items.map(({ topic, connectionId, fanId, expiresAt }) => ({ topic, connectionId, fanId, expiresAt, shard }));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  private write(requests: WriteRequest[]): Promise<void> {
    return batchWriteAll(this.db, this.tableName(), requests, { what: "subscription" });
  }
}

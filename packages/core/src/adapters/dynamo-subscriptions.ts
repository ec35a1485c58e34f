/**
 * SubscriptionStore over the subscriptions table: partition `topic#shard`,
 * sort `connectionId`. Listing is a paginated Query of one shard, never a Scan.
 */
import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Subscription, SubscriptionStore } from "../ports";
import { shardOf, topicShardKey } from "../shards";

type WriteRequest = NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]["RequestItems"]>[string][number];

const BATCH_LIMIT = 25;
const UNPROCESSED_RETRIES = 5;

interface SubscriptionItem {
  topicShard: string;
  connectionId: string;
  topic: string;
  fanId: string;
  expiresAt: number;
}

export class DynamoSubscriptionStore implements SubscriptionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: () => string,
    readonly shardCount: number,
    /** Query Limit; DynamoDB's own 1 MB page when unset. Tests set it low to exercise pagination. */
    private readonly pageSize?: number,
  ) {}

  async putAll(subscriptions: Subscription[]): Promise<void> {
    await this.write(
      subscriptions.map((subscription) => ({
        PutRequest: { Item: { ...subscription, topicShard: this.keyOf(subscription) } satisfies SubscriptionItem },
      })),
    );
  }

  async deleteAll(keys: { topic: string; connectionId: string }[]): Promise<void> {
    await this.write(keys.map((key) => ({ DeleteRequest: { Key: { topicShard: this.keyOf(key), connectionId: key.connectionId } } })));
  }

  async *listShard(topic: string, shard: number): AsyncIterable<Subscription[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName(),
          KeyConditionExpression: "topicShard = :key",
          ExpressionAttributeValues: { ":key": topicShardKey(topic, shard) },
          ExclusiveStartKey: startKey,
          Limit: this.pageSize,
        }),
      );
      const items = (page.Items ?? []) as SubscriptionItem[];
      if (items.length > 0) yield items.map(({ topic, connectionId, fanId, expiresAt }) => ({ topic, connectionId, fanId, expiresAt }));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  private keyOf(key: { topic: string; connectionId: string }): string {
    return topicShardKey(key.topic, shardOf(key.connectionId, this.shardCount));
  }

  /** BatchWriteItem in chunks of 25, retrying what DynamoDB leaves unprocessed (throttling). */
  private async write(requests: WriteRequest[]): Promise<void> {
    for (let start = 0; start < requests.length; start += BATCH_LIMIT) {
      let pending = requests.slice(start, start + BATCH_LIMIT);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) {
          throw new Error(`DynamoDB left ${pending.length} subscription writes unprocessed after ${UNPROCESSED_RETRIES} retries; the table is throttled, retry later`);
        }
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
        const { UnprocessedItems } = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName()]: pending } }));
        pending = UnprocessedItems?.[this.tableName()] ?? [];
      }
    }
  }
}

/**
 * The connection ids subscribed to a topic, read the way the fan-out reads
 * them (a Query per `topic#shard`), so baselines (b) and (c) post to exactly
 * the sockets pushgate posts to.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { shardCountsFromEnv } from "@pushgate/core/config";
import { listedShards, topicShardKey } from "@pushgate/core/shards";

/** `credentials` must be the local cloud's own: DynamoDB Local keeps one database per key pair unless shared. */
export async function subscriberIds(
  dynamodbEndpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  tableName: string,
  topic: string,
): Promise<string[]> {
  // The shards the fan-out reads for this topic, with the same environment the functions were given.
  const shardCount = listedShards(topic, shardCountsFromEnv(process.env));
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1", endpoint: dynamodbEndpoint, credentials }));
  const ids: string[] = [];
  try {
    for (let shard = 0; shard < shardCount; shard++) {
      let startKey: Record<string, unknown> | undefined;
      // Bounded: 100 pages of 1 MB is far beyond any audience the bench opens.
      for (let page = 0; page < 100; page++) {
        const answer = await db.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: "topicShard = :key",
            ExpressionAttributeValues: { ":key": topicShardKey(topic, shard) },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of answer.Items ?? []) ids.push(item.connectionId as string);
        startKey = answer.LastEvaluatedKey;
        if (!startKey) break;
      }
    }
  } finally {
    db.destroy();
  }
  return ids;
}

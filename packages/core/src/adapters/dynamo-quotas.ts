/**
 * QuotaCounter over the quotas table: one item per key and fixed window,
 * `{key}#{window index}`, counted with one conditional UpdateItem (ADD under
 * `count < limit`), so concurrent requests on any number of function
 * instances never let more than `limit` through. Items expire (TTL) a window
 * after theirs ends.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { QuotaCounter, QuotaTake } from "../ports";
import { quotaWindow } from "../usecases/quotas";

export class DynamoQuotaCounter implements QuotaCounter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: () => string,
  ) {}

  async take(key: string, limit: number, windowSeconds: number, now: Date): Promise<QuotaTake> {
    const window = quotaWindow(now, windowSeconds);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName(),
          Key: { id: `${key}#${window.index}` },
          UpdateExpression: "ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expiresAt)",
          ConditionExpression: "attribute_not_exists(#count) OR #count < :limit",
          ExpressionAttributeNames: { "#count": "count" },
          ExpressionAttributeValues: { ":one": 1, ":limit": limit, ":expiresAt": window.endsAtSeconds + windowSeconds },
        }),
      );
      return { allowed: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { allowed: false, retryAfterSeconds: window.retryAfterSeconds };
      throw error;
    }
  }
}

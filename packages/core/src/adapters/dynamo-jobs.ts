/** JobStore over the jobs table (source of `job/{jobId}`). */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Job, JobStore } from "../ports";
import { readSeq } from "./dynamo-seq";

export class DynamoJobStore implements JobStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: () => string,
  ) {}

  async create(job: Job): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName(), Item: job, ConditionExpression: "attribute_not_exists(jobId)" }));
  }

  async get(jobId: string): Promise<Job | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName(), Key: { jobId }, ConsistentRead: true }));
    return Item as Job | undefined;
  }

  async markReady(jobId: string, resultKey: string, at: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName(),
          Key: { jobId },
          UpdateExpression: "SET #status = :ready, resultKey = :key, updatedAt = :at ADD seq :one",
          ConditionExpression: "#status = :pending",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":ready": "ready", ":pending": "pending", ":key": resultKey, ":at": at, ":one": 1 },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  currentSeq(jobId: string): Promise<number> {
    return readSeq(this.db, this.tableName(), { jobId });
  }
}

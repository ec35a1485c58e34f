/** QueueStore over the queues table (source of `queue/{eventId}`). */
import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { QueueStore } from "../ports";
import { readSeq } from "./dynamo-seq";

export class DynamoQueueStore implements QueueStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: () => string,
  ) {}

  async join(eventId: string): Promise<{ ticket: number; servingNumber: number }> {
    // No seq: one fan's ticket is no news to the others.
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName(),
        Key: { eventId },
        UpdateExpression: "ADD nextTicket :one",
        ExpressionAttributeValues: { ":one": 1 },
        ReturnValues: "ALL_NEW",
      }),
    );
    return { ticket: Attributes!.nextTicket as number, servingNumber: (Attributes!.servingNumber as number | undefined) ?? 0 };
  }

  async advance(eventId: string, by: number, at: string): Promise<{ seq: number; servingNumber: number }> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName(),
        Key: { eventId },
        UpdateExpression: "SET updatedAt = :at ADD servingNumber :by, seq :one",
        ExpressionAttributeValues: { ":at": at, ":by": by, ":one": 1 },
        ReturnValues: "ALL_NEW",
      }),
    );
    return { seq: Attributes!.seq as number, servingNumber: Attributes!.servingNumber as number };
  }

  currentSeq(eventId: string): Promise<number> {
    return readSeq(this.db, this.tableName(), { eventId });
  }
}

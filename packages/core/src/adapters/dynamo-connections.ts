/** ConnectionStore over the connections table: one item per open socket, topics as a string set. */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Connection, ConnectionStore } from "../ports";

interface ConnectionItem {
  connectionId: string;
  fanId: string;
  topics?: Set<string>;
  connectedAt: string;
  expiresAt: number;
}

const fromItem = ({ topics, ...item }: ConnectionItem): Connection => ({ ...item, topics: [...(topics ?? [])] });

export class DynamoConnectionStore implements ConnectionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: () => string,
  ) {}

  async put({ topics, ...connection }: Connection): Promise<void> {
    // DynamoDB has no empty sets: a connection without topics has no attribute.
    const item: ConnectionItem = { ...connection, ...(topics.length > 0 && { topics: new Set(topics) }) };
    await this.db.send(new PutCommand({ TableName: this.tableName(), Item: item }));
  }

  async get(connectionId: string): Promise<Connection | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName(), Key: { connectionId }, ConsistentRead: true }));
    return Item ? fromItem(Item as ConnectionItem) : undefined;
  }

  async addTopics(connectionId: string, topics: string[]): Promise<boolean> {
    return this.updateExisting(connectionId, "ADD topics :topics", topics);
  }

  async removeTopics(connectionId: string, topics: string[]): Promise<void> {
    // A connection that is gone has no topics left to remove.
    await this.updateExisting(connectionId, "DELETE topics :topics", topics);
  }

  async delete(connectionId: string): Promise<Connection | undefined> {
    const { Attributes } = await this.db.send(
      new DeleteCommand({ TableName: this.tableName(), Key: { connectionId }, ReturnValues: "ALL_OLD" }),
    );
    return Attributes ? fromItem(Attributes as ConnectionItem) : undefined;
  }

  /** An update that must not create an item for a connection that no longer exists; false if it does not. */
  private async updateExisting(connectionId: string, expression: string, topics: string[]): Promise<boolean> {
    if (topics.length === 0) return (await this.get(connectionId)) !== undefined;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName(),
          Key: { connectionId },
          UpdateExpression: expression,
          ConditionExpression: "attribute_exists(connectionId)",
          ExpressionAttributeValues: { ":topics": new Set(topics) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/** ConnectionStore over the connections table: one item per open socket, topics as a string set. */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Admission, Connection, ConnectionStore, FrameRate } from "../ports";
import type { ConnectionShards } from "../shards";

interface ConnectionItem {
  connectionId: string;
  fanId: string;
  topics?: Set<string>;
  connectedAt: string;
  expiresAt: number;
  /** A map, kind -> shard: a few bytes on an item read by every frame anyway. */
  shards?: ConnectionShards;
  shard?: number;
}

const fromItem = ({ topics, connectionId, fanId, connectedAt, expiresAt, shards, shard }: ConnectionItem): Connection => ({
  connectionId,
  fanId,
  topics: [...(topics ?? [])],
  connectedAt,
  expiresAt,
  ...(shards !== undefined && { shards }),
  ...(shard !== undefined && { shard }),
});

/** Lost races a subscribe retries before it answers INTERNAL (and the client sends it again later). */
const ADD_TOPICS_ATTEMPTS = 5;

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

  /**
   * The cap as a conditional write, not a read-check-write: the ADD of n new
   * topics holds only while the set has at most max - n members, so however
   * many frames race, the set never passes max. A lost race re-reads and
   * tries again with what is left of the room.
   */
  async addTopicsWithin(connectionId: string, topics: string[], maxTopics: number): Promise<string[] | undefined> {
    for (let attempt = 0; attempt < ADD_TOPICS_ATTEMPTS; attempt++) {
      const connection = await this.get(connectionId);
      if (!connection) return undefined;
      const held = new Set(connection.topics);
      const fresh = topics.filter((topic) => !held.has(topic));
      const taken = new Set(fresh.slice(0, Math.max(0, maxTopics - held.size)));
      const within = topics.filter((topic) => held.has(topic) || taken.has(topic));
      if (taken.size === 0) return within;
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.tableName(),
            Key: { connectionId },
            UpdateExpression: "ADD topics :topics",
            ConditionExpression: "attribute_exists(connectionId) AND (attribute_not_exists(topics) OR size(topics) <= :room)",
            ExpressionAttributeValues: { ":topics": taken, ":room": maxTopics - taken.size },
          }),
        );
        return within;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new Error(`the topics of connection ${connectionId} changed under ${ADD_TOPICS_ATTEMPTS} attempts in a row`);
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

  /**
   * The token bucket as GCRA (generic cell rate algorithm, equivalent to a
   * token bucket): the item keeps `rateTat`, the theoretical arrival time of
   * the next frame in epoch ms. A frame is admitted when rateTat is at most
   * (burst - 1) intervals ahead of now. Each step is one conditional
   * UpdateItem, so concurrent invocations cannot both take the last token:
   *   1. rateTat absent or in the past: SET rateTat = now + interval  (a calm client: 1 write)
   *   2. else, rateTat within the burst: SET rateTat = rateTat + interval  (a burst: 2 writes)
   *   3. else it is limited, and strikes count within a window that opens at
   *      the first one (`strikeWindowMs`), so they decay: a client that bursts
   *      now and then starts from 1 each time and is never closed for abuse.
   *      3a. no window open: SET rateStrikes = 1, rateStrikesUntil = now + window  (3 writes)
   *      3b. else: ADD rateStrikes 1, answering the count  (4 writes: abusers pay the most)
   * A connection that no longer exists fails every condition: "unknown".
   */
  async admitFrame(connectionId: string, nowMs: number, rate: FrameRate): Promise<Admission> {
    const table = this.tableName();
    const conditional = async (update: Omit<UpdateCommand["input"], "TableName" | "Key">) => {
      try {
        return await this.db.send(new UpdateCommand({ TableName: table, Key: { connectionId }, ...update }));
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    };
    const calm = await conditional({
      UpdateExpression: "SET rateTat = :next",
      ConditionExpression: "attribute_exists(connectionId) AND (attribute_not_exists(rateTat) OR rateTat <= :now)",
      ExpressionAttributeValues: { ":next": nowMs + rate.intervalMs, ":now": nowMs },
    });
    if (calm) return { outcome: "admitted" };
    const burst = await conditional({
      UpdateExpression: "SET rateTat = rateTat + :interval",
      ConditionExpression: "attribute_exists(connectionId) AND rateTat <= :limit",
      ExpressionAttributeValues: { ":interval": rate.intervalMs, ":limit": nowMs + (rate.burst - 1) * rate.intervalMs },
    });
    if (burst) return { outcome: "admitted" };
    const firstStrike = await conditional({
      UpdateExpression: "SET rateStrikes = :one, rateStrikesUntil = :until",
      ConditionExpression: "attribute_exists(connectionId) AND (attribute_not_exists(rateStrikesUntil) OR rateStrikesUntil <= :now)",
      ExpressionAttributeValues: { ":one": 1, ":until": nowMs + rate.strikeWindowMs, ":now": nowMs },
    });
    if (firstStrike) return { outcome: "limited", strikes: 1 };
    const limited = await conditional({
      UpdateExpression: "ADD rateStrikes :one",
      ConditionExpression: "attribute_exists(connectionId)",
      ExpressionAttributeValues: { ":one": 1 },
      ReturnValues: "UPDATED_NEW",
    });
    if (!limited) return { outcome: "unknown" };
    return { outcome: "limited", strikes: Number(limited.Attributes?.rateStrikes ?? 1) };
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

/**
 * QueueStore over two tables: `queues` (one item per event, the source of
 * `queue/{eventId}`) and `places` (one item per fan per event).
 *
 * Every change fans should hear bumps the queue item's seq; a join does not
 * (one fan's place is no news to the others), it only counts an arrival.
 * Each write also says which it was in `change` ("news" with a new seq,
 * "housekeeping" without): a Lambda event filter cannot compare the old and
 * new seq, but it can read that, so the queues fan-out only runs for news.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import type { Place, Queue, QueueSettings, QueueStore, ServingChange } from "../ports";
import { batchWriteAll } from "./dynamo-batch-write";
import { readSeq } from "./dynamo-seq";
import { QUEUE_CHANGE } from "../topology";

/** Concurrent BatchWriteItem calls while writing drawn tickets: ~8x one call's throughput, well under a table's limits. */
const TICKET_WRITE_CONCURRENCY = 8;

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

export class DynamoQueueStore implements QueueStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly queuesTable: () => string,
    private readonly placesTable: () => string,
  ) {}

  async put(eventId: string, settings: QueueSettings, at: string): Promise<Queue> {
    try {
      return await this.update(eventId, settings, at);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // An item of the old design (a ticket counter created by a join, no phase): start it afresh.
      await this.db.send(new DeleteCommand({ TableName: this.queuesTable(), Key: { eventId } }));
      return this.update(eventId, settings, at);
    }
  }

  private async update(eventId: string, settings: QueueSettings, at: string): Promise<Queue> {
    // Counters are initialised only on creation (if_not_exists), so an update never resets a running queue.
    // An optional setting left out of the PUT is removed: the PUT states the whole configuration.
    const removed = [
      settings.admitPerMinute === undefined && "admitPerMinute",
      settings.saleUrl === undefined && "saleUrl",
      settings.proofOfWorkBits === undefined && "proofOfWorkBits",
    ].filter(Boolean);
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.queuesTable(),
        Key: { eventId },
        UpdateExpression: [
          "SET #name = :name, opensAt = :opensAt, admissionTtlSeconds = :ttl, updatedAt = :at,",
          "phase = if_not_exists(phase, :prequeue), servingNumber = if_not_exists(servingNumber, :zero),",
          "prequeueSize = if_not_exists(prequeueSize, :zero), arrivals = if_not_exists(arrivals, :zero),",
          "servedSamples = if_not_exists(servedSamples, :none), admittedPerMinute = if_not_exists(admittedPerMinute, :zero)",
          settings.admitPerMinute === undefined ? "" : ", admitPerMinute = :rate",
          settings.saleUrl === undefined ? "" : ", saleUrl = :sale",
          settings.proofOfWorkBits === undefined ? "" : ", proofOfWorkBits = :work",
          ", #change = :news ADD seq :one",
          removed.length > 0 ? `REMOVE ${removed.join(", ")}` : "",
        ].join(" "),
        ConditionExpression: "attribute_not_exists(eventId) OR attribute_exists(phase)",
        ExpressionAttributeNames: { "#name": "name", "#change": QUEUE_CHANGE },
        ExpressionAttributeValues: {
          ":news": "news",
          ":name": settings.name,
          ":opensAt": settings.opensAt,
          ":ttl": settings.admissionTtlSeconds,
          ":at": at,
          ":prequeue": "prequeue",
          ":zero": 0,
          ":none": [],
          ":one": 1,
          ...(settings.admitPerMinute !== undefined && { ":rate": settings.admitPerMinute }),
          ...(settings.saleUrl !== undefined && { ":sale": settings.saleUrl }),
          ...(settings.proofOfWorkBits !== undefined && { ":work": settings.proofOfWorkBits }),
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return Attributes as Queue;
  }

  async get(eventId: string): Promise<Queue | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.queuesTable(), Key: { eventId }, ConsistentRead: true }));
    // An item without a name is a queue of the old design (created by a join), never opened by an operator.
    return Item && typeof Item.name === "string" ? (Item as Queue) : undefined;
  }

  async list(): Promise<Queue[]> {
    // One item per event: a Scan of this table reads a few dozen items, never fans.
    const queues: Queue[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({ TableName: this.queuesTable(), ConsistentRead: true, ExclusiveStartKey: startKey }),
      );
      for (const item of page.Items ?? []) if (typeof item.name === "string") queues.push(item as Queue);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return queues;
  }

  async place(eventId: string, fanId: string): Promise<Place | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.placesTable(), Key: { eventId, fanId }, ConsistentRead: true }));
    return Item as Place | undefined;
  }

  async joinPrequeue(place: Place): Promise<"joined" | "exists" | "closed"> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.queuesTable(),
                Key: { eventId: place.eventId },
                ConditionExpression: "phase = :prequeue",
                ExpressionAttributeValues: { ":prequeue": "prequeue" },
              },
            },
            { Put: { TableName: this.placesTable(), Item: place, ConditionExpression: "attribute_not_exists(fanId)" } },
          ],
        }),
      );
      return "joined";
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [queue, placed] = error.CancellationReasons ?? [];
      if (placed?.Code === "ConditionalCheckFailed") return "exists";
      if (queue?.Code === "ConditionalCheckFailed") return "closed";
      throw error;
    }
  }

  async joinArrival(place: Omit<Place, "arrival">): Promise<Place | "exists"> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.queuesTable(),
        Key: { eventId: place.eventId },
        UpdateExpression: "SET #change = :housekeeping ADD arrivals :one",
        ConditionExpression: "attribute_exists(eventId)",
        ExpressionAttributeNames: { "#change": QUEUE_CHANGE },
        ExpressionAttributeValues: { ":one": 1, ":housekeeping": "housekeeping" },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    const arrived: Place = { ...place, arrival: Attributes!.arrivals as number };
    try {
      await this.db.send(
        new PutCommand({ TableName: this.placesTable(), Item: arrived, ConditionExpression: "attribute_not_exists(fanId)" }),
      );
      return arrived;
    } catch (error) {
      // Two tabs of one fan joined at the same instant: one ticket number stays unused (the serving number passes it).
      if (isConditionFailure(error)) return "exists";
      throw error;
    }
  }

  async freezePrequeue(eventId: string, at: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.queuesTable(),
          Key: { eventId },
          UpdateExpression: "SET phase = :shuffling, updatedAt = :at, #change = :housekeeping",
          ConditionExpression: "phase = :prequeue",
          ExpressionAttributeNames: { "#change": QUEUE_CHANGE },
          ExpressionAttributeValues: { ":shuffling": "shuffling", ":prequeue": "prequeue", ":at": at, ":housekeeping": "housekeeping" },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async prequeue(eventId: string): Promise<Place[]> {
    const places: Place[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.placesTable(),
          KeyConditionExpression: "eventId = :eventId",
          FilterExpression: "attribute_not_exists(arrival)",
          ExpressionAttributeValues: { ":eventId": eventId },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      places.push(...((page.Items ?? []) as Place[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return places;
  }

  async assignTickets(places: Place[]): Promise<void> {
    await batchWriteAll(
      this.db,
      this.placesTable(),
      places.map((place) => ({ PutRequest: { Item: place } })),
      { what: "ticket", concurrency: TICKET_WRITE_CONCURRENCY },
    );
  }

  async open(eventId: string, prequeueSize: number, at: string): Promise<Queue> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.queuesTable(),
        Key: { eventId },
        UpdateExpression:
          "SET phase = :open, prequeueSize = :size, openedAt = :at, updatedAt = :at, autoAdvancedAt = :at, servedSamples = :samples, #change = :news ADD seq :one",
        ConditionExpression: "phase = :shuffling",
        ExpressionAttributeNames: { "#change": QUEUE_CHANGE },
        ExpressionAttributeValues: {
          ":news": "news",
          ":open": "open",
          ":shuffling": "shuffling",
          ":size": prequeueSize,
          ":at": at,
          ":one": 1,
          // The rate's first anchor: nobody served at the moment of opening.
          ":samples": [{ at: Date.parse(at), serving: 0 }],
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return Attributes as Queue;
  }

  async setServing(eventId: string, expectedSeq: number, change: ServingChange): Promise<Queue | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.queuesTable(),
          Key: { eventId },
          UpdateExpression: `SET servingNumber = :serving, servedSamples = :samples, admittedPerMinute = :rate, updatedAt = :at, #change = :news${
            change.autoAdvancedAt === undefined ? "" : ", autoAdvancedAt = :auto"
          } ADD seq :one`,
          ConditionExpression: "seq = :expected",
          ExpressionAttributeNames: { "#change": QUEUE_CHANGE },
          ExpressionAttributeValues: {
            ":news": "news",
            ":serving": change.servingNumber,
            ":samples": change.servedSamples,
            ":rate": change.admittedPerMinute,
            ":at": change.at,
            ":expected": expectedSeq,
            ":one": 1,
            ...(change.autoAdvancedAt !== undefined && { ":auto": change.autoAdvancedAt }),
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return Attributes as Queue;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  currentSeq(eventId: string): Promise<number> {
    return readSeq(this.db, this.queuesTable(), { eventId });
  }
}

/**
 * TTL as DynamoDB does it, for the local cloud: items whose TTL attribute (a
 * Number of epoch seconds) has passed are deleted within a bounded lag, and
 * each deletion reaches the stream as the service's (see service-deletions.ts).
 *
 * DynamoDB Local has a TTL sweeper of its own, but it is unreliable: with many
 * tables it deletes nothing for minutes, and thousands of expired connection
 * and subscription items from earlier runs were found in .pushgate data. Its
 * deletions, when they happen, still arrive and are still mapped.
 *
 * As on AWS: only Number attributes count, and values more than five years in
 * the past are ignored (AWS's rule, which keeps milliseconds-by-mistake and
 * other non-TTL numbers from deleting data). Each deletion is conditional on
 * the TTL value the Scan saw, so an item renewed between the Scan and the
 * DeleteItem is kept. Scans are paged, so one big table cannot stall the rest.
 *
 * A sweep reads every item (a Scan's filter is applied after the read), so its
 * cost grows with the tables: at 50,000 connections back-to-back sweeps kept
 * DynamoDB Local's one core busy and slowed every other request. The pause
 * after a sweep is therefore at least four times its duration (restAfter),
 * bounding the sweeper's share of DynamoDB Local; an expired item's lag grows
 * with the tables instead (AWS promises only "within a few days").
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClientConfig,
} from "@aws-sdk/client-dynamodb";
import { quietLog, type Log } from "../log";
import { restAfter, systemStreamClock, WakeableSleep, type StreamClock } from "../streams/clock";
import type { ServiceDeletions } from "./service-deletions";

export interface TtlTable {
  tableName: string;
  ttlAttribute: string;
  /** Partition key, then sort key if any. */
  keyNames: string[];
}

export interface TtlSweeperOptions {
  /** The same client config the local cloud uses for its own DynamoDB calls. */
  clientConfig: DynamoDBClientConfig;
  tables: TtlTable[];
  /** Where each deletion is noted for the stream side. */
  serviceDeletions: ServiceDeletions;
  /**
   * Pause between the end of one sweep and the start of the next, at least;
   * longer after a long sweep (restAfter). Default 5,000 ms: an expired
   * item of small tables is gone within about that.
   */
  intervalMs?: number;
  /** Items evaluated per Scan call. Default 1,000 (each call is a round trip through SQLite; DynamoDB caps a page at 1 MB anyway). */
  pageSize?: number;
  clock?: StreamClock;
  log?: Log;
  /** Test seam: runs after each Scan page, before its deletions (the window in which an item can be renewed). */
  afterScanPage?: (tableName: string, items: Record<string, AttributeValue>[]) => Promise<void>;
}

export interface SweepResult {
  deleted: number;
  /** Renewed (or deleted by someone else) between the Scan and the DeleteItem. */
  kept: number;
}

export interface TtlSweeper {
  /** One full pass over every table; the loop calls it, tests may too. */
  sweepOnce(): Promise<SweepResult>;
  /** Stops the loop and waits for a running sweep to finish its current item. */
  stop(): Promise<void>;
}

/** AWS ignores TTL values older than five years. */
const oldestHonouredSeconds = 5 * 365 * 24 * 60 * 60;

export function startTtlSweeper(options: TtlSweeperOptions): TtlSweeper {
  const log = options.log ?? quietLog;
  const clock = options.clock ?? systemStreamClock;
  const intervalMs = options.intervalMs ?? 5_000;
  const pageSize = options.pageSize ?? 1_000;
  const client = new DynamoDBClient(options.clientConfig);
  const stopper = new AbortController();
  const sleeper = new WakeableSleep(clock, stopper.signal);
  let failing = false;

  async function sweepTable(table: TtlTable, result: SweepResult): Promise<void> {
    const nowSeconds = Math.floor(clock.now() / 1000);
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      if (stopper.signal.aborted) return;
      const page = await client.send(
        new ScanCommand({
          TableName: table.tableName,
          Limit: pageSize,
          ExclusiveStartKey: startKey,
          FilterExpression: "#ttl BETWEEN :oldest AND :now",
          ExpressionAttributeNames: { "#ttl": table.ttlAttribute },
          ExpressionAttributeValues: { ":oldest": { N: String(nowSeconds - oldestHonouredSeconds) }, ":now": { N: String(nowSeconds) } },
        }),
      );
      startKey = page.LastEvaluatedKey;
      const items = page.Items ?? [];
      if (options.afterScanPage) await options.afterScanPage(table.tableName, items);
      for (const item of items) {
        if (stopper.signal.aborted) return;
        await deleteExpired(table, item, result);
      }
    } while (startKey);
  }

  async function deleteExpired(table: TtlTable, item: Record<string, AttributeValue>, result: SweepResult): Promise<void> {
    const ttlValue = item[table.ttlAttribute]?.N;
    if (ttlValue === undefined) return;
    const keys = Object.fromEntries(table.keyNames.map((name) => [name, item[name]!]));
    options.serviceDeletions.note(table.tableName, keys, table.ttlAttribute, ttlValue);
    try {
      await client.send(
        new DeleteItemCommand({
          TableName: table.tableName,
          Key: keys,
          ConditionExpression: "#ttl = :seen",
          ExpressionAttributeNames: { "#ttl": table.ttlAttribute },
          ExpressionAttributeValues: { ":seen": { N: ttlValue } },
        }),
      );
      result.deleted += 1;
    } catch (error) {
      options.serviceDeletions.forget(table.tableName, keys);
      if (error instanceof ConditionalCheckFailedException) {
        result.kept += 1;
        return;
      }
      throw error;
    }
  }

  async function sweep(): Promise<SweepResult> {
    const result: SweepResult = { deleted: 0, kept: 0 };
    for (const table of options.tables) {
      try {
        await sweepTable(table, result);
      } catch (error) {
        // A table dropped by hand, or DynamoDB Local restarting: the next sweep tries again.
        if (error instanceof ResourceNotFoundException) continue;
        throw error;
      }
    }
    if (result.deleted > 0) log("debug", `TTL sweeper: deleted ${result.deleted} expired item(s), kept ${result.kept} renewed`);
    return result;
  }

  // One sweep at a time: two racing over the same item would make the loser
  // forget the note the winner's deletion needs. A call waits for the running one.
  let queue: Promise<unknown> = Promise.resolve();
  const sweepOnce = (): Promise<SweepResult> => {
    const next = queue.then(sweep, sweep);
    queue = next.catch(() => undefined);
    return next;
  };

  const loop = (async () => {
    while (!stopper.signal.aborted) {
      const startedAt = clock.now();
      try {
        await sweepOnce();
        if (failing) log("info", "TTL sweeper: DynamoDB Local answers again; expired items are being deleted.");
        failing = false;
      } catch (error) {
        // Logged once per outage, not once per sweep.
        if (!failing)
          log(
            "warn",
            `TTL sweeper: a sweep failed (${(error as Error).message}); retrying every ${intervalMs} ms. If DynamoDB Local stopped, restart the local cloud.`,
          );
        failing = true;
      }
      await sleeper.sleep(restAfter(intervalMs, clock.now() - startedAt));
    }
  })();

  return {
    sweepOnce,
    stop: async () => {
      stopper.abort();
      await loop;
      client.destroy();
    },
  };
}

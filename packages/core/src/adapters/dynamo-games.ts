/**
 * GameStore over the games table: one item per game (source of `game/{gameId}`)
 * and one item, GAME_LIST_ITEM_ID, holding the listed games (source of
 * `games/all`), one attribute per game so two operators listing two games at
 * once never overwrite each other.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Game, GameDescription, GameStore, ScoringEntry, WatchingState } from "../ports";
import type { GameSummary, ScoreData } from "../protocol";
import { GAME_LIST_ITEM_ID, LISTED_GAME_PREFIX, listedGamesOf } from "../topics";
import { readSeq } from "./dynamo-seq";

const OPTIONAL_FIELDS = ["period", "clock", "lastPlay"] as const;
/** A football game scores a dozen times; the cap keeps a game item far below DynamoDB's 400 KB. */
export const MAX_TIMELINE_ENTRIES = 200;
/** A play in the timeline is cut to this many characters (the pushed lastPlay may be up to 500). */
const TIMELINE_PLAY_CHARS = 160;

export class DynamoGameStore implements GameStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: () => string,
  ) {}

  async recordScore(gameId: string, score: ScoreData, at: string): Promise<number> {
    // The item is the score as last sent: an optional field not sent is removed.
    const set = ["home = :home", "away = :away", "updatedAt = :at"];
    const remove: string[] = [];
    const values: Record<string, unknown> = { ":home": score.home, ":away": score.away, ":at": at, ":one": 1 };
    for (const field of OPTIONAL_FIELDS) {
      if (score[field] === undefined) remove.push(`#${field}`);
      else {
        set.push(`#${field} = :${field}`);
        values[`:${field}`] = score[field];
      }
    }
    const names: Record<string, string> = Object.fromEntries(OPTIONAL_FIELDS.map((field) => [`#${field}`, field]));
    const update = (extraSet: string[]) =>
      `SET ${[...set, ...extraSet].join(", ")} ${remove.length > 0 ? `REMOVE ${remove.join(", ")}` : ""} ADD seq :one`;
    const entry: ScoringEntry = {
      at,
      home: score.home,
      away: score.away,
      ...(score.period !== undefined && { period: score.period }),
      ...(score.clock !== undefined && { clock: score.clock }),
      ...(score.lastPlay !== undefined && { play: score.lastPlay.slice(0, TIMELINE_PLAY_CHARS) }),
    };
    // First try the write that also appends to the timeline, on the condition
    // that the score changed (a game that never scored counts as 0-0) and the
    // timeline has room; most updates (clock, plays) fail it and are written
    // plainly. Reading first instead would race a concurrent update.
    const changed =
      score.home === 0 && score.away === 0
        ? "attribute_exists(home) AND (home <> :home OR away <> :away)"
        : "(attribute_not_exists(home) OR home <> :home OR away <> :away)";
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName(),
          Key: { gameId },
          UpdateExpression: update(["timeline = list_append(if_not_exists(timeline, :empty), :entry)"]),
          ConditionExpression: `${changed} AND (attribute_not_exists(timeline) OR size(timeline) < :maxTimeline)`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ":empty": [], ":entry": [entry], ":maxTimeline": MAX_TIMELINE_ENTRIES },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      return Attributes!.seq as number;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName(),
        Key: { gameId },
        UpdateExpression: update([]),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Attributes!.seq as number;
  }

  async describe(gameId: string, description: GameDescription, at: string): Promise<number> {
    // A description without a clock removes the one an earlier PUT set.
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName(),
        Key: { gameId },
        UpdateExpression: `SET teams = :teams, startsAt = :startsAt, #status = :status, updatedAt = :at${
          description.gameClock ? ", gameClock = :gameClock" : ""
        } ${description.gameClock ? "" : "REMOVE gameClock"} ADD seq :one`,
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":teams": description.teams,
          ":startsAt": description.startsAt,
          ":status": description.status,
          ":at": at,
          ":one": 1,
          ...(description.gameClock && { ":gameClock": description.gameClock }),
        },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Attributes!.seq as number;
  }

  async listGame(summary: GameSummary, at: string, max: number): Promise<boolean> {
    // The cap is read, then written: two operators racing past it list a game or two more, which the frame has room for.
    const listed = await this.listedGames();
    if (listed.length >= max && !listed.some((game) => game.gameId === summary.gameId)) return false;
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName(),
        Key: { gameId: GAME_LIST_ITEM_ID },
        UpdateExpression: "SET #game = :summary, updatedAt = :at ADD seq :one",
        ExpressionAttributeNames: { "#game": `${LISTED_GAME_PREFIX}${summary.gameId}` },
        ExpressionAttributeValues: { ":summary": summary, ":at": at, ":one": 1 },
      }),
    );
    return true;
  }

  async unlistGame(gameId: string, at: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName(),
          Key: { gameId: GAME_LIST_ITEM_ID },
          UpdateExpression: "REMOVE #game SET updatedAt = :at ADD seq :one",
          ConditionExpression: "attribute_exists(#game)",
          ExpressionAttributeNames: { "#game": `${LISTED_GAME_PREFIX}${gameId}` },
          ExpressionAttributeValues: { ":at": at, ":one": 1 },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async listedGames(): Promise<GameSummary[]> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName(), Key: { gameId: GAME_LIST_ITEM_ID }, ConsistentRead: true }),
    );
    return listedGamesOf(Item) as GameSummary[];
  }

  /**
   * A bounded Scan: the games table holds one small item per game, and only
   * the job worker reads it this way, off the push path.
   */
  async list(limit: number): Promise<Game[]> {
    const games: Game[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.tableName(),
          Limit: limit - games.length,
          ExclusiveStartKey: startKey,
          FilterExpression: "gameId <> :list",
          ExpressionAttributeValues: { ":list": GAME_LIST_ITEM_ID },
        }),
      );
      games.push(...((page.Items ?? []) as Game[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey && games.length < limit);
    return games.sort((a, b) => a.gameId.localeCompare(b.gameId));
  }

  async watchingOf(gameId: string): Promise<WatchingState | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName(),
        Key: { gameId },
        ProjectionExpression: "startsAt, watching, watchingPushed, watchingAt",
        ConsistentRead: true,
      }),
    );
    if (!Item || Item.startsAt === undefined) return undefined;
    const number = (name: keyof WatchingState) => (typeof Item[name] === "number" ? { [name]: Item[name] as number } : {});
    return { ...number("watching"), ...number("watchingPushed"), ...number("watchingAt") };
  }

  async publishWatching(gameId: string, watching: number, atMs: number, previousAt: number | undefined): Promise<boolean> {
    return this.updateExisting({
      Key: { gameId },
      UpdateExpression: "SET watching = :watching, watchingPushed = :watching, watchingAt = :at, updatedAt = :iso ADD seq :one",
      ConditionExpression: `attribute_exists(startsAt) AND ${previousAt === undefined ? "attribute_not_exists(watchingAt)" : "watchingAt = :previous"}`,
      ExpressionAttributeValues: {
        ":watching": watching,
        ":at": atMs,
        ":iso": new Date(atMs).toISOString(),
        ":one": 1,
        ...(previousAt !== undefined && { ":previous": previousAt }),
      },
    });
  }

  async carryWatching(gameId: string, watching: number): Promise<boolean> {
    // No seq: no push now. Whatever bumps seq next (a score, a description, the count's own push) carries it.
    return this.updateExisting({
      Key: { gameId },
      UpdateExpression: "SET watching = :watching",
      ConditionExpression: "attribute_exists(startsAt)",
      ExpressionAttributeValues: { ":watching": watching },
    });
  }

  /** A Scan, like list(): one small item per game, read once a minute by the heartbeat, off the push path. */
  async carriedWatching(): Promise<string[]> {
    const gameIds: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.tableName(),
          ProjectionExpression: "gameId",
          FilterExpression: "attribute_exists(watching) AND (attribute_not_exists(watchingPushed) OR watching <> watchingPushed)",
          ExclusiveStartKey: startKey,
        }),
      );
      gameIds.push(...(page.Items ?? []).map((item) => item.gameId as string));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return gameIds;
  }

  /**
   * Only a described game (PUT /games/{gameId} set its startsAt): any fan may
   * subscribe to any game id, and a count must neither create items for
   * made-up ones nor bump the seq of a game only ever scored (the canary's, a
   * script's), whose producers read its seq as theirs. False when the
   * condition fails.
   */
  private async updateExisting(update: Omit<ConstructorParameters<typeof UpdateCommand>[0], "TableName">): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand({ TableName: this.tableName(), ...update }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  currentSeq(gameId: string): Promise<number> {
    return readSeq(this.db, this.tableName(), { gameId });
  }
}

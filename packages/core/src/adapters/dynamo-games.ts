/** GameStore over the games table (source of `game/{gameId}`). */
import { ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Game, GameStore } from "../ports";
import type { ScoreData } from "../protocol";
import { readSeq } from "./dynamo-seq";

const OPTIONAL_FIELDS = ["period", "clock", "lastPlay"] as const;

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
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName(),
        Key: { gameId },
        UpdateExpression: `SET ${set.join(", ")} ${remove.length > 0 ? `REMOVE ${remove.join(", ")}` : ""} ADD seq :one`,
        ExpressionAttributeNames: Object.fromEntries(OPTIONAL_FIELDS.map((field) => [`#${field}`, field])),
        ExpressionAttributeValues: values,
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Attributes!.seq as number;
  }

  /**
   * A bounded Scan: the games table holds one small item per live game, and
   * only the job worker reads it this way, off the push path.
   */
  async list(limit: number): Promise<Game[]> {
    const games: Game[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({ TableName: this.tableName(), Limit: limit - games.length, ExclusiveStartKey: startKey }),
      );
      games.push(...((page.Items ?? []) as Game[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey && games.length < limit);
    return games.sort((a, b) => a.gameId.localeCompare(b.gameId));
  }

  currentSeq(gameId: string): Promise<number> {
    return readSeq(this.db, this.tableName(), { gameId });
  }
}

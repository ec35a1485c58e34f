/**
 * SessionLedger over the sessions table: `token#{jti}` for each token traded
 * for a new one, `session#{sid}` for each revoked session; both expire (TTL)
 * once the token or session they name can no longer be offered.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { SessionLedger, TokenSpend } from "../ports";

export class DynamoSessionLedger implements SessionLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: () => string,
  ) {}

  async spend(tokenId: string, sessionId: string, keepUntilSeconds: number): Promise<TokenSpend> {
    const revoked = await this.db.send(
      new GetCommand({ TableName: this.tableName(), Key: { id: `session#${sessionId}` }, ConsistentRead: true }),
    );
    if (revoked.Item) return "session-revoked";
    try {
      // The conditional write is the once: of two renewals racing with one token, exactly one puts the item.
      await this.db.send(
        new PutCommand({
          TableName: this.tableName(),
          Item: { id: `token#${tokenId}`, sessionId, expiresAt: keepUntilSeconds },
          ConditionExpression: "attribute_not_exists(id)",
        }),
      );
      return "spent";
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return "already-spent";
      throw error;
    }
  }

  async revoke(sessionId: string, keepUntilSeconds: number): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName(), Item: { id: `session#${sessionId}`, expiresAt: keepUntilSeconds } }));
  }
}

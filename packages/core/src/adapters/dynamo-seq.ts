/** The current seq of one source item, shared by the three source tables. */
import { GetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export async function readSeq(db: DynamoDBDocumentClient, tableName: string, key: Record<string, string>): Promise<number> {
  const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: key, ProjectionExpression: "seq", ConsistentRead: true }));
  return typeof Item?.seq === "number" ? Item.seq : 0;
}

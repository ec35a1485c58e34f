import type { AttributeValue as SdkAttributeValue, _Record as SdkRecord } from "@aws-sdk/client-dynamodb-streams";
import type { AttributeValue as LambdaAttributeValue, DynamoDBRecord } from "aws-lambda";

/**
 * Turns a record as the Streams SDK returns it into the record Lambda hands a
 * function, so handlers see locally exactly what they will see on AWS:
 * - `eventSourceARN` is added (GetRecords does not return it);
 * - ApproximateCreationDateTime is epoch seconds (the SDK parses it to a Date);
 * - binary is base64 text (the SDK decodes it to Uint8Array);
 * - a TTL deletion becomes REMOVE with the service identity AWS sends: DynamoDB
 *   Local reports its own with an event name the SDK does not know, and no
 *   identity; the local cloud's TTL sweeper deletes with DeleteItem, which
 *   streams as a plain REMOVE, and `isServiceDeletion` recognizes those.
 */
export interface LambdaRecordOptions {
  /** True for a REMOVE that DynamoDB made itself (the local TTL sweeper's; see dynamodb/service-deletions.ts). */
  isServiceDeletion?: (record: SdkRecord) => boolean;
}

export function toLambdaRecord(record: SdkRecord, streamArn: string, options: LambdaRecordOptions = {}): DynamoDBRecord {
  const stream = record.dynamodb ?? {};
  const isLocalTtlDeletion = record.eventName === undefined ? false : !["INSERT", "MODIFY", "REMOVE"].includes(record.eventName);
  const isTtlDeletion = isLocalTtlDeletion || (options.isServiceDeletion?.(record) ?? false);
  const lambdaRecord: DynamoDBRecord = {
    eventID: record.eventID,
    eventName: isTtlDeletion ? "REMOVE" : (record.eventName as DynamoDBRecord["eventName"]),
    eventVersion: record.eventVersion ?? "1.1",
    eventSource: record.eventSource ?? "aws:dynamodb",
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: toEpochSeconds(stream.ApproximateCreationDateTime),
      Keys: toImage(stream.Keys),
      NewImage: toImage(stream.NewImage),
      OldImage: toImage(stream.OldImage),
      SequenceNumber: stream.SequenceNumber,
      SizeBytes: stream.SizeBytes,
      StreamViewType: stream.StreamViewType,
    },
  };
  if (isTtlDeletion) {
    lambdaRecord.userIdentity = { type: "Service", principalId: "dynamodb.amazonaws.com" };
  } else if (record.userIdentity) {
    lambdaRecord.userIdentity = { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId };
  }
  // Lambda omits absent images rather than sending null.
  for (const key of ["Keys", "NewImage", "OldImage"] as const) {
    if (lambdaRecord.dynamodb![key] === undefined) delete lambdaRecord.dynamodb![key];
  }
  return lambdaRecord;
}

function toEpochSeconds(value: Date | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value.getTime() / 1000 : value;
}

function toImage(image: Record<string, SdkAttributeValue> | undefined): Record<string, LambdaAttributeValue> | undefined {
  if (!image) return undefined;
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toAttributeValue(value)]));
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

function toAttributeValue(value: SdkAttributeValue): LambdaAttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: toImage(value.M)! };
  if (value.L !== undefined) return { L: value.L.map(toAttributeValue) };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  throw new Error(
    `Unknown DynamoDB attribute value ${JSON.stringify(value)}: upgrade @aws-sdk/client-dynamodb-streams and teach streams/lambda-event.ts the new type.`,
  );
}

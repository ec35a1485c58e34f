/** Turns a Lambda DynamoDB stream record's AttributeValue images into plain objects. */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { Change, DecodeRecord } from "../stream";

export const decodeStreamRecord: DecodeRecord = (record) => {
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (!sequenceNumber) throw new Error("stream record has no dynamodb.SequenceNumber; is this a DynamoDB stream event?");
  const image = (raw: unknown) => (raw === undefined ? undefined : unmarshall(raw as Record<string, AttributeValue>));
  const change: Change = { sequenceNumber, eventName: record.eventName ?? "UNKNOWN" };
  const newImage = image(record.dynamodb?.NewImage);
  const oldImage = image(record.dynamodb?.OldImage);
  return { ...change, ...(newImage && { newImage }), ...(oldImage && { oldImage }) };
};

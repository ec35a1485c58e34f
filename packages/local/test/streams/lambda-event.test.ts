import type { _Record } from "@aws-sdk/client-dynamodb-streams";
import { describe, expect, it } from "vitest";
import { toLambdaRecord } from "../../src/streams/index";

const streamArn = "arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/2026-01-01T00:00:00.000";

describe("toLambdaRecord", () => {
  it("maps a TTL deletion as DynamoDB Local presents it (UNKNOWN_TO_SDK_VERSION, no identity) to AWS's REMOVE by the service", () => {
    // Captured from DynamoDB Local 2026-01-16 through @aws-sdk/client-dynamodb-streams.
    const fromLocal = {
      eventID: "e1",
      eventName: "UNKNOWN_TO_SDK_VERSION",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: "ddblocal",
      dynamodb: {
        ApproximateCreationDateTime: new Date("2026-11-22T05:00:00.000Z"),
        Keys: { jobId: { S: "past" } },
        OldImage: { jobId: { S: "past" }, expiresAt: { N: "1795323599" } },
        SequenceNumber: "000000000000000000003",
        SizeBytes: 20,
        StreamViewType: "NEW_AND_OLD_IMAGES",
      },
    } as unknown as _Record;
    const lambda = toLambdaRecord(fromLocal, streamArn);
    expect(lambda.eventName).toBe("REMOVE");
    expect(lambda.userIdentity).toEqual({ type: "Service", principalId: "dynamodb.amazonaws.com" });
    expect(lambda.eventSourceARN).toBe(streamArn);
    expect(lambda.dynamodb?.ApproximateCreationDateTime).toBe(Date.parse("2026-11-22T05:00:00.000Z") / 1000);
  });

  it("keeps a user delete as REMOVE without identity, and lower-cases an identity the SDK returns", () => {
    const base = {
      eventID: "e2",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: "us-east-1",
      dynamodb: { Keys: { id: { S: "a" } }, SequenceNumber: "1" },
    };
    expect(toLambdaRecord({ ...base, eventName: "REMOVE" } as _Record, streamArn)).not.toHaveProperty("userIdentity");
    const withIdentity = toLambdaRecord(
      { ...base, eventName: "REMOVE", userIdentity: { Type: "Service", PrincipalId: "dynamodb.amazonaws.com" } } as _Record,
      streamArn,
    );
    expect(withIdentity.userIdentity).toEqual({ type: "Service", principalId: "dynamodb.amazonaws.com" });
  });
});

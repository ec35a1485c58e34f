/**
 * publish() writes the topic's snapshot alongside the fan-out, and still
 * acknowledges a stream record only when that write succeeded: against the
 * real S3 emulator, with a bucket that exists and one that does not.
 * Subscribers and the gateway are fakes (the fan-out has its own tests).
 */
import { startS3, type LocalS3 } from "@pushgate/local/s3";
import { marshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3Client } from "@pushgate/core/adapters/aws-clients";
import { decodeStreamRecord } from "@pushgate/core/adapters/stream-records";
import { S3SnapshotStore } from "@pushgate/core/adapters/s3-snapshots";
import { createApp, type Ports } from "@pushgate/core/app";
import { loadConfig } from "@pushgate/core/config";
import type { Subscription } from "@pushgate/core/ports";
import { uniformShardCounts } from "@pushgate/core/shards";
import { FullBatchFailureError, type StreamRecordIn } from "@pushgate/core/stream";

const region = "us-east-1";
let s3: LocalS3;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  // s3rver only accepts this pair.
  process.env.AWS_ACCESS_KEY_ID = "S3RVER";
  process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
  s3 = await startS3({ buckets: [{ name: "publish-data" }] });
});
afterAll(async () => {
  await s3?.stop();
  process.env.AWS_ACCESS_KEY_ID = saved.id;
  process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
});

const unused = () => {
  throw new Error("not used by publish()");
};

function appWithBucket(bucket: string) {
  const posted: string[] = [];
  const clock = { now: () => Date.now() };
  const ports = {
    subscriptions: {
      shardCounts: uniformShardCounts(1),
      putAll: unused,
      deleteAll: unused,
      async *listShard(topic: string) {
        yield ["c1", "c2"].map((connectionId): Subscription => ({ topic, connectionId, fanId: "f", expiresAt: 4_000_000_000, shard: 0 }));
      },
    },
    gateway: { post: async (connectionId: string) => (posted.push(connectionId), "ok" as const), delete: unused },
    snapshots: new S3SnapshotStore(
      () => s3Client({ region, s3Endpoint: s3.endpoint }),
      () => bucket,
      clock,
      600,
    ),
    clock,
    log: { warn: () => {}, error: () => {} },
    meter: { count: () => {}, milliseconds: () => {} },
    decode: decodeStreamRecord,
    connections: {},
    games: {},
    queues: {},
    jobs: {},
    secret: unused,
  } as unknown as Ports;
  return { app: createApp(loadConfig({ AWS_REGION: region }), ports), posted };
}

const scoreRecord = (gameId: string, seq: number): StreamRecordIn => ({
  eventName: "MODIFY",
  dynamodb: {
    SequenceNumber: `${seq}00`,
    NewImage: marshall({ gameId, home: seq, away: 0, seq, updatedAt: "2026-11-22T12:00:00.000Z" }),
    OldImage: marshall({ gameId, home: 0, away: 0, seq: seq - 1, updatedAt: "2026-11-22T11:59:00.000Z" }),
  },
});

describe("publish(): snapshot alongside the fan-out", () => {
  it("acknowledges the record once the snapshot is written; the snapshot is readable when it returns", async () => {
    const { app, posted } = appWithBucket("publish-data");
    expect(await app.publishChanges("games", [scoreRecord("g-ok", 2)])).toEqual({ batchItemFailures: [] });
    expect(posted.sort()).toEqual(["c1", "c2"]);
    // Read as a polling fan would, through a presigned URL: the emulator refuses anonymous reads, as S3 does.
    const reader = new S3SnapshotStore(
      () => s3Client({ region, s3Endpoint: s3.endpoint }),
      () => "publish-data",
      { now: () => Date.now() },
      600,
    );
    const stored = await fetch((await reader.presignSnapshot("game/g-ok")).url);
    expect(stored.status).toBe(200);
    expect(await stored.json()).toMatchObject({ topic: "game/g-ok", seq: 2 });
  });

  it("fails the record when the snapshot write fails, even though the fan-out went ahead", async () => {
    const { app, posted } = appWithBucket("no-such-bucket");
    await expect(app.publishChanges("games", [scoreRecord("g-fail", 3)])).rejects.toBeInstanceOf(FullBatchFailureError);
    expect(posted.sort()).toEqual(["c1", "c2"]);
  });
});

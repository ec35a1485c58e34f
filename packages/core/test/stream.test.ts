import { marshall } from "@aws-sdk/util-dynamodb";
import { describe, expect, it } from "vitest";
import { decodeStreamRecord } from "../src/adapters/stream-records";
import type { Log, PresignedUrl, SnapshotStore } from "../src/ports";
import type { MessageFrame } from "../src/protocol";
import { gamePublication, jobPublication, queuePublication } from "../src/publications";
import { FullBatchFailureError, processStreamBatch, type PublicationOf, type StreamRecordIn } from "../src/stream";

const quiet: Log = { warn: () => {}, error: () => {} };
let sequence = 100;

/** A Lambda stream record, images in AttributeValue form as Lambda delivers them. */
function record(eventName: string, newImage?: Record<string, unknown>, oldImage?: Record<string, unknown>): StreamRecordIn {
  return {
    eventName,
    dynamodb: {
      SequenceNumber: String(sequence++),
      ...(newImage && { NewImage: marshall(newImage, { removeUndefinedValues: true }) }),
      ...(oldImage && { OldImage: marshall(oldImage, { removeUndefinedValues: true }) }),
    },
  };
}

const game = (seq: number, home: number, extra: Record<string, unknown> = {}) => ({
  gameId: "g1",
  home,
  away: 0,
  seq,
  updatedAt: `2026-11-22T12:00:0${seq}.000Z`,
  ...extra,
});

async function run(records: StreamRecordIn[], publicationOf: PublicationOf = gamePublication, failTopic?: string) {
  const published: MessageFrame[] = [];
  const response = await processStreamBatch(records, {
    decode: decodeStreamRecord,
    publicationOf,
    publish: async (frame) => {
      if (frame.topic === failTopic) throw new Error("S3 is down");
      published.push(frame);
    },
    log: quiet,
  });
  return { published, failures: response.batchItemFailures.map((failure) => failure.itemIdentifier) };
}

describe("stream batch -> publications", () => {
  it("a score write becomes the score-update frame, fields as sent", async () => {
    const { published, failures } = await run([record("MODIFY", game(2, 7, { period: "Q2", clock: "08:41" }), game(1, 0))]);
    expect(failures).toEqual([]);
    expect(published).toEqual([
      {
        type: "message",
        topic: "game/g1",
        seq: 2,
        kind: "score-update",
        data: { home: 7, away: 0, period: "Q2", clock: "08:41" },
        ts: "2026-11-22T12:00:02.000Z",
      },
    ]);
  });

  it("only the newest seq of each topic in a batch is published", async () => {
    const g2 = (seq: number) => ({ ...game(seq, seq), gameId: "g2" });
    const { published } = await run([
      record("INSERT", game(1, 1)),
      record("MODIFY", g2(5), g2(4)),
      record("MODIFY", game(3, 3), game(2, 2)),
      record("MODIFY", game(2, 2), game(1, 1)),
    ]);
    expect(published.map((frame) => [frame.topic, frame.seq])).toEqual([
      ["game/g1", 3],
      ["game/g2", 5],
    ]);
  });

  it("no publication without a raised seq: a queue join, a TTL delete, a re-write of the same seq", async () => {
    const queue = (extra: Record<string, unknown>) => ({
      eventId: "e1",
      servingNumber: 10,
      updatedAt: "2026-11-22T12:00:00.000Z",
      ...extra,
    });
    const { published, failures } = await run(
      [
        record("MODIFY", queue({ seq: 3, arrivals: 43 }), queue({ seq: 3, arrivals: 42 })),
        record("INSERT", { eventId: "e2", arrivals: 1 }),
        record("REMOVE", undefined, queue({ seq: 3 })),
      ],
      queuePublication,
    );
    expect({ published, failures }).toEqual({ published: [], failures: [] });
  });

  it("a queue advance becomes queue-position with the serving number, the tickets issued and the admission rate", async () => {
    const queue = (seq: number, servingNumber: number) => ({
      eventId: "e1",
      name: "Final",
      opensAt: "2026-11-22T11:00:00.000Z",
      phase: "open",
      servingNumber,
      prequeueSize: 30,
      arrivals: 20,
      admittedPerMinute: 12,
      seq,
      updatedAt: "2026-11-22T12:00:00.000Z",
    });
    const { published } = await run([record("MODIFY", queue(4, 20), queue(3, 10))], queuePublication);
    expect(published).toMatchObject([
      {
        topic: "queue/e1",
        seq: 4,
        kind: "queue-position",
        data: {
          servingNumber: 20,
          ticketsIssued: 50,
          admittedPerMinute: 12,
          phase: "open",
          opensAt: "2026-11-22T11:00:00.000Z",
          name: "Final",
        },
      },
    ]);
  });

  it("a poison record fails alone; the records behind it are still published", async () => {
    const poison = record("MODIFY", game(4, 0, { home: "seven" }), game(3, 3));
    const behind = { ...game(9, 9), gameId: "g9" };
    const { published, failures } = await run([poison, record("MODIFY", behind, { ...behind, seq: 8 })]);
    expect(failures).toEqual([poison.dynamodb!.SequenceNumber]);
    expect(published.map((frame) => frame.topic)).toEqual(["game/g9"]);
  });

  it("an image that is not even AttributeValue JSON is a poison record too", async () => {
    const broken: StreamRecordIn = { eventName: "MODIFY", dynamodb: { SequenceNumber: "1", NewImage: { seq: { Q: "?" } } } };
    const { failures } = await run([broken, record("INSERT", game(1, 1))]);
    expect(failures).toEqual(["1"]);
  });

  it("a failed publication reports every record of its topic, and only those", async () => {
    const g2 = { ...game(1, 1), gameId: "g2" };
    const first = record("INSERT", game(1, 1));
    const second = record("MODIFY", game(2, 2), game(1, 1));
    const { published, failures } = await run([first, record("INSERT", g2), second], gamePublication, "game/g1");
    expect(failures.sort()).toEqual([first.dynamodb!.SequenceNumber, second.dynamodb!.SequenceNumber].sort());
    expect(published.map((frame) => frame.topic)).toEqual(["game/g2"]);
  });

  it("when every record fails, the whole batch fails (the mapping retries or bisects it)", async () => {
    await expect(run([record("INSERT", { gameId: "g1", seq: 1 })])).rejects.toBeInstanceOf(FullBatchFailureError);
  });

  it("an empty batch is fine", async () => {
    expect(await run([])).toEqual({ published: [], failures: [] });
  });
});

describe("jobs publish result-ready", () => {
  const snapshots: SnapshotStore = {
    putSnapshot: async () => "written",
    putResult: async () => {},
    presignSnapshot: async () => ({ url: "unused", expiresAt: "unused" }),
    presignResult: async (jobId): Promise<PresignedUrl> => ({
      url: `https://s3/results/${jobId}.json?sig`,
      expiresAt: "2026-11-22T13:00:00.000Z",
    }),
  };
  const job = (status: string, seq: number) => ({ jobId: "j1", fanId: "fan-a", status, seq, updatedAt: "2026-11-22T12:00:00.000Z" });

  it("when a job becomes ready, with the presigned result URL", async () => {
    const { published } = await run([record("MODIFY", job("ready", 1), job("pending", 0))], jobPublication(snapshots));
    expect(published).toEqual([
      {
        type: "message",
        topic: "job/j1",
        seq: 1,
        kind: "result-ready",
        data: { jobId: "j1", url: "https://s3/results/j1.json?sig", expiresAt: "2026-11-22T13:00:00.000Z" },
        ts: "2026-11-22T12:00:00.000Z",
      },
    ]);
  });

  it("not when a pending job is created", async () => {
    const { published } = await run([record("INSERT", job("pending", 0))], jobPublication(snapshots));
    expect(published).toEqual([]);
  });
});

import type { _Record, GetRecordsInput, GetShardIteratorInput, Shard } from "@aws-sdk/client-dynamodb-streams";
import type { StreamsApi } from "../../src/streams/index";

/**
 * An in-memory DynamoDB Streams API with shards that close and have children.
 * Only for shard rollover, which DynamoDB Local never performs over HTTP.
 */
interface FakeShard {
  id: string;
  parentId?: string;
  records: _Record[];
  closed: boolean;
}

export class FakeStreams implements StreamsApi {
  readonly shards: FakeShard[] = [];
  /** Every call, in order, for assertions on shard ordering. */
  readonly calls: string[] = [];
  private sequence = 0;

  constructor(readonly streamArn: string) {}

  addShard(id: string, parentId?: string): void {
    this.shards.push({ id, parentId, records: [], closed: false });
  }

  write(shardId: string, ...ids: string[]): void {
    const shard = this.shard(shardId);
    if (shard.closed) throw new Error(`shard ${shardId} is closed`);
    for (const id of ids) {
      const sequenceNumber = String(++this.sequence).padStart(21, "0");
      shard.records.push({
        eventID: `e${sequenceNumber}`,
        eventName: "INSERT",
        eventVersion: "1.1",
        eventSource: "aws:dynamodb",
        awsRegion: "us-east-1",
        dynamodb: {
          ApproximateCreationDateTime: new Date(),
          Keys: { id: { S: id } },
          NewImage: { id: { S: id } },
          SequenceNumber: sequenceNumber,
          SizeBytes: 10,
          StreamViewType: "NEW_AND_OLD_IMAGES",
        },
      });
    }
  }

  close(shardId: string): void {
    this.shard(shardId).closed = true;
  }

  async describeStream() {
    this.calls.push("describe");
    const shards: Shard[] = this.shards.map((shard) => ({
      ShardId: shard.id,
      ParentShardId: shard.parentId,
      SequenceNumberRange: {
        StartingSequenceNumber: shard.records[0]?.dynamodb?.SequenceNumber ?? "0",
        EndingSequenceNumber: shard.closed ? (shard.records.at(-1)?.dynamodb?.SequenceNumber ?? "0") : undefined,
      },
    }));
    return { StreamDescription: { StreamArn: this.streamArn, StreamStatus: "ENABLED" as const, Shards: shards }, $metadata: {} };
  }

  async getShardIterator(input: GetShardIteratorInput) {
    const shard = this.shard(input.ShardId!);
    this.calls.push(`iterator ${shard.id} ${input.ShardIteratorType}`);
    const position =
      input.ShardIteratorType === "TRIM_HORIZON"
        ? 0
        : input.ShardIteratorType === "LATEST"
          ? shard.records.length
          : shard.records.findIndex((record) => record.dynamodb?.SequenceNumber === input.SequenceNumber) + 1;
    return { ShardIterator: `${shard.id}|${position}`, $metadata: {} };
  }

  async getRecords(input: GetRecordsInput) {
    const [shardId, positionText] = input.ShardIterator!.split("|");
    const shard = this.shard(shardId!);
    const position = Number(positionText);
    const records = shard.records.slice(position, position + (input.Limit ?? 1000));
    const next = position + records.length;
    const ended = shard.closed && next >= shard.records.length;
    this.calls.push(`records ${shard.id} ${records.length}${ended ? " end" : ""}`);
    return { Records: records, NextShardIterator: ended ? undefined : `${shard.id}|${next}`, $metadata: {} };
  }

  private shard(id: string): FakeShard {
    const shard = this.shards.find((candidate) => candidate.id === id);
    if (!shard) throw Object.assign(new Error(`no shard ${id}`), { name: "ResourceNotFoundException" });
    return shard;
  }
}

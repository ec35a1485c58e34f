import { afterEach, describe, expect, it } from "vitest";
import { MemoryOnFailureDestination, startStreamConsumer, type StreamConsumer } from "../../src/streams/index";
import { systemStreamClock, type StreamClock } from "../../src/streams/clock";
import { FakeStreams } from "./fake-streams";
import { consumerDecl, eventually, Recorder } from "./helpers";

const streamArn = "arn:aws:dynamodb:us-east-1:000000000000:table/fake/stream/2026-01-01T00:00:00.000";
const running: StreamConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
});

async function start(fake: FakeStreams, recorder: Recorder, overrides: Parameters<typeof consumerDecl>[0] = {}) {
  const consumer = await startStreamConsumer({
    streamArn,
    tableName: "fake",
    streamsClient: fake,
    consumer: consumerDecl(overrides),
    onFailure: new MemoryOnFailureDestination(),
    shardDiscoveryIntervalMs: 20,
    pollIntervalMs: 5,
    invoke: async (event) => void recorder.events.push(event),
  });
  running.push(consumer);
  return consumer;
}

describe("shard rollover (fake streams client)", () => {
  it("reads a child shard only after its parent is read to the end, whatever order DescribeStream lists them in", async () => {
    const fake = new FakeStreams(streamArn);
    fake.addShard("child", "parent");
    fake.addShard("parent");
    fake.write("parent", "p1", "p2", "p3");
    fake.close("parent");
    fake.write("child", "c1", "c2");
    const recorder = new Recorder();
    const consumer = await start(fake, recorder);
    await consumer.drained();
    expect(recorder.ids()).toEqual(["p1", "p2", "p3", "c1", "c2"]);
    const parentEnd = fake.calls.indexOf("records parent 3 end");
    const childStart = fake.calls.indexOf("iterator child TRIM_HORIZON");
    expect(parentEnd).toBeGreaterThanOrEqual(0);
    expect(childStart).toBeGreaterThan(parentEnd);
    expect(consumer.stats.shardsFinished).toBe(1);
  });

  it("follows a rollover that happens while polling: the parent closes, a child appears and is read from its start", async () => {
    const fake = new FakeStreams(streamArn);
    fake.addShard("s1");
    const recorder = new Recorder();
    const consumer = await start(fake, recorder, { startingPosition: "LATEST" });
    fake.write("s1", "a", "b");
    await consumer.drained();
    // Rollover: the last records land in the old shard, then it closes and a child takes over.
    fake.write("s1", "c");
    fake.close("s1");
    fake.addShard("s2", "s1");
    fake.write("s2", "d", "e");
    await consumer.drained();
    fake.write("s2", "f");
    await consumer.drained();
    expect(recorder.ids()).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect(fake.calls).toContain("iterator s2 TRIM_HORIZON");
  });

  it("starting at LATEST skips shards that were already closed and starts their open child at LATEST", async () => {
    const fake = new FakeStreams(streamArn);
    fake.addShard("old");
    fake.write("old", "history");
    fake.close("old");
    fake.addShard("current", "old");
    fake.write("current", "before-start");
    const recorder = new Recorder();
    const consumer = await start(fake, recorder, { startingPosition: "LATEST" });
    fake.write("current", "after-start");
    await consumer.drained();
    expect(recorder.ids()).toEqual(["after-start"]);
    expect(fake.calls.some((call) => call.startsWith("iterator old"))).toBe(false);
  });

  it("keeps order within each shard while sibling shards are read side by side", async () => {
    const fake = new FakeStreams(streamArn);
    fake.addShard("left");
    fake.addShard("right");
    const expected: Record<string, string[]> = { left: [], right: [] };
    for (let index = 0; index < 30; index++) {
      for (const shard of ["left", "right"] as const) {
        const id = `${shard}-${String(index).padStart(2, "0")}`;
        fake.write(shard, id);
        expected[shard]!.push(id);
      }
    }
    const recorder = new Recorder();
    const consumer = await start(fake, recorder, { batchSize: 4 });
    await consumer.drained();
    const delivered = recorder.ids();
    expect(delivered.filter((id) => id.startsWith("left"))).toEqual(expected.left);
    expect(delivered.filter((id) => id.startsWith("right"))).toEqual(expected.right);
    expect(Math.max(...recorder.batchSizes)).toBeLessThanOrEqual(4);
  });
});

/**
 * A clock whose time moves only when a slow call of the fake says so, and
 * whose sleeps are recorded and kept short, so the loops turn without the
 * test waiting for the pauses it checks.
 */
class SlowStreams extends FakeStreams {
  now = Date.now();
  readonly pauses: number[] = [];
  readonly clock: StreamClock = {
    now: () => this.now,
    sleep: (ms, signal) => {
      this.pauses.push(ms);
      return systemStreamClock.sleep(Math.min(ms, 5), signal);
    },
  };

  constructor(private readonly slow: { describeMs?: number; recordsMs?: number }) {
    super(streamArn);
    this.addShard("only");
  }

  override async describeStream() {
    this.now += this.slow.describeMs ?? 0;
    return super.describeStream();
  }

  override async getRecords(input: Parameters<FakeStreams["getRecords"]>[0]) {
    this.now += this.slow.recordsMs ?? 0;
    return super.getRecords(input);
  }

  async consume(intervals: { shardDiscoveryIntervalMs: number; pollIntervalMs: number }) {
    const consumer = await startStreamConsumer({
      streamArn,
      tableName: "fake",
      streamsClient: this,
      consumer: consumerDecl(),
      onFailure: new MemoryOnFailureDestination(),
      ...intervals,
      clock: this.clock,
      invoke: async () => undefined,
    });
    running.push(consumer);
  }
}

describe("a busy DynamoDB Local is asked less often", () => {
  it("waits at least four times as long as DescribeStream took before the next discovery (DynamoDB Local walks the records)", async () => {
    const fake = new SlowStreams({ describeMs: 3_000 });
    await fake.consume({ shardDiscoveryIntervalMs: 1_000, pollIntervalMs: 5 });
    const discoveryPauses = () => fake.pauses.filter((ms) => ms >= 1_000);
    await eventually(() => discoveryPauses().length >= 3, 5_000, "three discovery pauses");
    // The first pause follows the start's discovery, which is not timed; each later one follows a 3 s DescribeStream.
    expect(discoveryPauses().slice(0, 3)).toEqual([1_000, 12_000, 12_000]);
  });

  it("after an empty read, waits at least four times as long as GetRecords took", async () => {
    const fake = new SlowStreams({ recordsMs: 100 });
    await fake.consume({ shardDiscoveryIntervalMs: 60_000, pollIntervalMs: 50 });
    const pollPauses = () => fake.pauses.filter((ms) => ms < 1_000);
    await eventually(() => pollPauses().length >= 2, 5_000, "two poll pauses");
    expect(pollPauses().slice(0, 2)).toEqual([400, 400]);
  });
});

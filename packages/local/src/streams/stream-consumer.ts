import type { _Record as StreamRecord, Shard } from "@aws-sdk/client-dynamodb-streams";
import type { ServiceDeletions } from "../dynamodb/service-deletions";
import type { StreamConsumerDecl } from "@pushgate/core/topology";
import { join } from "node:path";
import { BatchProcessor, type StreamInvoke } from "./batch-processor";
import { restAfter, systemStreamClock, WakeableSleep, type StreamClock } from "./clock";
import { validateFilterPatterns } from "./event-filter";
import { quietLog, type Log } from "../log";
import { FileOnFailureDestination, type OnFailureDestination } from "./on-failure";
import type { Credentials } from "../iam/access-control";
import { ShardReader } from "./shard-reader";
import { emptyStats, type StreamConsumerStats } from "./stats";
import { isMissingResource, localStreamsApi, type StreamsApi } from "./streams-api";

export interface StartStreamConsumerOptions {
  /** DynamoDB Local endpoint; unused when `streamsClient` is given. */
  endpoint?: string;
  /** The consumer function's credentials, as the event source mapping uses its role. */
  credentials?: Credentials;
  streamArn: string;
  tableName: string;
  consumer: StreamConsumerDecl;
  /** The consumer's logical name (a key of topology.consumers): names logs and the dead-letter file. */
  name?: string;
  /** Runs the function with a DynamoDBStreamEvent; its return value is read for batchItemFailures. */
  invoke: StreamInvoke;
  /** Where discarded records go. Default: JSON lines in .pushgate/dead-letters/<name>.jsonl. */
  onFailure?: OnFailureDestination;
  /** Default 50 ms (Lambda polls 4 times a second; faster keeps local tests quick). */
  pollIntervalMs?: number;
  /** Default 1 s, or four times the last discovery's duration if longer (restAfter); drained() and a finished shard also trigger discovery. */
  shardDiscoveryIntervalMs?: number;
  /** Back-off before retry `attempt` (1-based). Default 100 ms doubling to 5 s. */
  retryDelayMs?: (attempt: number) => number;
  clock?: StreamClock;
  /** The local TTL sweeper's deletions of this table, delivered as REMOVE with the service identity, as AWS does. */
  serviceDeletions?: ServiceDeletions;
  /** Injectable for fakes (shard rollover); default: a real client on `endpoint`. */
  streamsClient?: StreamsApi;
  log?: Log;
}

export interface DrainedOptions {
  /** Default 30 s; then drained() rejects with the consumer's stats. */
  timeoutMs?: number;
}

export interface StreamConsumer {
  /** Stops polling and waits for the in-flight invocation to return. */
  stop(): Promise<void>;
  /**
   * Resolves once everything written to the stream before the call has been
   * delivered, filtered out or discarded: every shard has been polled empty,
   * with nothing buffered or being retried, by a poll that began after the call.
   */
  drained(options?: DrainedOptions): Promise<void>;
  readonly stats: Readonly<StreamConsumerStats>;
}

interface ShardState {
  shard: Shard;
  reader?: ShardReader;
  running?: Promise<void>;
  /** Read to the end, or skipped (a closed shard when starting at LATEST). */
  done: boolean;
  /** The consumer's position for shards there at start; TRIM_HORIZON for shards that appear later (all new). */
  startingPosition: "LATEST" | "TRIM_HORIZON";
}

interface DrainWaiter {
  mark: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const defaultRetryDelayMs = (attempt: number) => Math.min(100 * 2 ** (attempt - 1), 5_000);

/**
 * The local Lambda event source mapping for one StreamConsumerDecl: discovers
 * shards (a child starts only after its parent is read to the end), reads each
 * in order with a ShardReader and delivers batches through a BatchProcessor.
 * Throws at start if the stream cannot be described, so a wrong ARN fails
 * loudly instead of polling nothing.
 */
export async function startStreamConsumer(options: StartStreamConsumerOptions): Promise<StreamConsumer> {
  const name =
    options.name ??
    options.consumer.function.handler
      .split("/")
      .pop()!
      .replace(/\.[^.]+$/, "");
  const log = options.log ?? quietLog;
  const clock = options.clock ?? systemStreamClock;
  validateFilterPatterns(options.consumer.filters ?? [], `consumer ${name}`);
  if (!options.streamsClient && !options.endpoint)
    throw new Error(`Consumer ${name}: pass \`endpoint\` (DynamoDB Local) or \`streamsClient\`.`);
  const ownClient = options.streamsClient ? undefined : localStreamsApi(options.endpoint!, options.credentials);
  const api: StreamsApi = options.streamsClient ?? ownClient!;
  const stats = emptyStats();
  const serviceDeletions = options.serviceDeletions;
  const stopController = new AbortController();
  const stopped = () => stopController.signal.aborted;
  const sleep = (ms: number) => clock.sleep(ms, stopController.signal);
  const discoverySleep = new WakeableSleep(clock, stopController.signal);
  const shards = new Map<string, ShardState>();
  const waiters = new Set<DrainWaiter>();
  let markCounter = 0;
  const nextMark = () => ++markCounter;
  let lastDiscoveryMark = 0;
  let firstDiscovery = true;

  const processor = new BatchProcessor({
    name,
    consumer: options.consumer,
    invoke: options.invoke,
    destination: options.onFailure ?? new FileOnFailureDestination(join(process.cwd(), ".pushgate", "dead-letters")),
    clock,
    log,
    stats,
    streamArn: options.streamArn,
    functionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    retryDelayMs: options.retryDelayMs ?? defaultRetryDelayMs,
    sleep,
    stopped,
  });

  const isDrainedFor = (mark: number) =>
    lastDiscoveryMark > mark &&
    [...shards.values()].every((state) => {
      if (state.done) return true;
      if (!state.reader) return !parentDone(state); // waiting on its parent, which is checked itself
      return state.reader.caughtUpMark > mark;
    });

  const checkWaiters = () => {
    for (const waiter of waiters) {
      if (!isDrainedFor(waiter.mark)) continue;
      clearTimeout(waiter.timer);
      waiters.delete(waiter);
      waiter.resolve();
    }
  };

  const parentDone = (state: ShardState) => {
    const parentId = state.shard.ParentShardId;
    const parent = parentId ? shards.get(parentId) : undefined;
    // A parent we never saw has aged out of the stream: nothing to wait for.
    return !parent || parent.done;
  };

  const startReadyShards = () => {
    for (const state of shards.values()) {
      if (state.done || state.reader || !parentDone(state)) continue;
      const reader = new ShardReader({
        name,
        api,
        streamArn: options.streamArn,
        shard: state.shard,
        startingPosition: state.startingPosition,
        consumer: options.consumer,
        processor,
        clock,
        log,
        stats,
        pollIntervalMs: options.pollIntervalMs ?? 50,
        ...(serviceDeletions && {
          isServiceDeletion: (record: StreamRecord) => serviceDeletions.isServiceDeletion(options.tableName, record),
        }),
        sleep,
        stopped,
        nextMark,
        onProgress: checkWaiters,
      });
      state.reader = reader;
      state.running = reader.run().then(() => {
        if (!reader.finished) return;
        state.done = true;
        log("debug", `[${name}] shard ${reader.shardId} read to the end.`);
        startReadyShards();
        discoverySleep.wake();
        checkWaiters();
      });
    }
  };

  const discover = async () => {
    const mark = nextMark();
    let exclusiveStartShardId: string | undefined;
    do {
      const output = await api.describeStream({ StreamArn: options.streamArn, ExclusiveStartShardId: exclusiveStartShardId });
      const description = output.StreamDescription;
      for (const shard of description?.Shards ?? []) {
        if (!shard.ShardId || shards.has(shard.ShardId)) continue;
        const closed = Boolean(shard.SequenceNumberRange?.EndingSequenceNumber);
        // Starting at LATEST, shards already closed hold only the past: skip them.
        const skip = firstDiscovery && closed && options.consumer.startingPosition === "LATEST";
        shards.set(shard.ShardId, {
          shard,
          done: skip,
          startingPosition: firstDiscovery ? options.consumer.startingPosition : "TRIM_HORIZON",
        });
      }
      exclusiveStartShardId = description?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    startReadyShards();
    firstDiscovery = false;
    lastDiscoveryMark = mark;
    checkWaiters();
  };

  try {
    await discover();
  } catch (error) {
    ownClient?.destroy();
    const hint = isMissingResource(error)
      ? "the stream does not exist: create the tables first (createTables) and pass its ARN."
      : "is DynamoDB Local running on that endpoint?";
    throw new Error(
      `Consumer ${name} cannot read stream ${options.streamArn} of ${options.tableName}: ${(error as Error).message}; ${hint}`,
      { cause: error },
    );
  }
  await Promise.all([...shards.values()].map((state) => state.reader?.positioned));
  log("info", `[${name}] polling ${options.tableName} (${shards.size} shard(s), from ${options.consumer.startingPosition}).`);

  const discoveryLoop = (async () => {
    let lastDiscoveryMs = 0;
    while (!stopped()) {
      // DescribeStream walks the stream's records in DynamoDB Local: a big stream is discovered less often.
      await discoverySleep.sleep(restAfter(options.shardDiscoveryIntervalMs ?? 1_000, lastDiscoveryMs));
      if (stopped()) break;
      const startedAt = clock.now();
      try {
        await discover();
        lastDiscoveryMs = clock.now() - startedAt;
      } catch (error) {
        stats.readErrors += 1;
        log("warn", `[${name}] DescribeStream failed (${(error as Error).message}); retrying. Is DynamoDB Local still running?`);
      }
    }
  })();

  return {
    stats,
    drained: ({ timeoutMs = 30_000 }: DrainedOptions = {}) =>
      new Promise<void>((resolve, reject) => {
        if (stopped()) return reject(new Error(`Consumer ${name} is stopped; drained() needs a running consumer.`));
        const waiter: DrainWaiter = {
          mark: nextMark(),
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(
              new Error(
                `Consumer ${name} did not catch up within ${timeoutMs} ms; stats: ${JSON.stringify(stats)}. A record may be stuck in retries (see the log) or the handler may hang.`,
              ),
            );
          }, timeoutMs),
        };
        waiters.add(waiter);
        // Look for new shards now rather than at the next discovery tick.
        discoverySleep.wake();
      }),
    stop: async () => {
      if (stopped()) return;
      stopController.abort();
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`Consumer ${name} was stopped before it caught up.`));
      }
      waiters.clear();
      await Promise.all([discoveryLoop, ...[...shards.values()].map((state) => state.running)]);
      ownClient?.destroy();
    },
  };
}

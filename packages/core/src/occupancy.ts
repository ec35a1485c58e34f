/**
 * Occupancy: the rules behind a game's `watching` count (docs/architecture.md,
 * "Occupancy"). What a batch of the subscriptions stream adds to each counter,
 * how a count is rounded before it is shown, and how long a game waits between
 * two count pushes. Pure: the use case (usecases/occupancy.ts) does the I/O.
 *
 * The counters are the subscription shards themselves: one counter item per
 * `topic#shard` partition of the subscriptions table, so a kickoff's 100,000
 * arrivals are spread exactly as the fan-out spreads them, and every record
 * that changes a counter comes from one stream shard, in order. That order is
 * what makes a counter's update idempotent: the counter keeps the sequence
 * number of the last record it counted, and a record at or below it (a retried
 * batch) is not counted twice.
 */
import type { Change } from "./stream";
import { CANARY_TOPIC, GAME_LIST_ITEM_ID, parseTopic } from "./topics";
// From 1,000 up a count is rounded: its last digits are noise, and pushing them is not free.
import { WATCHING_EXACT_BELOW } from "./wire";

/** Count pushes of one game may cost at most this many messages per second: the interval grows with the audience. */
export const WATCHING_PUSH_MESSAGES_PER_SECOND = 1_000;
/**
 * The longest a changed count waits for its push: a 300,000-fan audience and
 * above, whose count pushes then cost more than the budget above (one 5-minute
 * heartbeat). Between pushes, score updates carry the latest count.
 */
export const WATCHING_MAX_INTERVAL_MS = 300_000;
/** The shortest, for a small audience (PUSHGATE_WATCHING_INTERVAL_MS overrides it, for tests). */
export const WATCHING_MIN_INTERVAL_MS = 5_000;

/**
 * The count a page shows: exact below 1,000, two significant digits from
 * there. A push happens only when this value changes, so a big, steady
 * audience whose last digits churn costs no pushes at all.
 */
export function approximateWatching(count: number): number {
  const fans = Math.max(0, Math.round(count));
  if (fans < WATCHING_EXACT_BELOW) return fans;
  const step = 10 ** (Math.floor(Math.log10(fans)) - 1);
  return Math.round(fans / step) * step;
}

/**
 * How long a game waits after a count push before the next: a push reaches
 * every fan of the game, so `audience / WATCHING_PUSH_MESSAGES_PER_SECOND`
 * seconds keeps count pushes under that many messages per second up to a
 * 300,000-fan audience (100 fans: 5 s; 20,000: 20 s; 100,000: 100 s; from
 * 300,000 on, the 5-minute cap).
 */
export function watchingIntervalMs(audience: number, minIntervalMs = WATCHING_MIN_INTERVAL_MS): number {
  const byCost = (Math.max(0, audience) / WATCHING_PUSH_MESSAGES_PER_SECOND) * 1000;
  return Math.min(WATCHING_MAX_INTERVAL_MS, Math.max(minIntervalMs, Math.ceil(byCost)));
}

/** One record that moved a counter, by its stream sequence number (padded: they compare as strings). */
export interface CountedRecord {
  sequence: string;
  delta: 1 | -1;
}

/** What one batch does to one counter (one `topic#shard` of a game's subscriptions), in stream order. */
export interface CounterChange {
  /** The subscription partition it counts: `game/g1#3`. */
  counterId: string;
  gameId: string;
  records: CountedRecord[];
}

/**
 * DynamoDB stream sequence numbers are decimal strings of up to 40 digits;
 * padded to 40, string order is numeric order (the counter compares them in a
 * condition expression).
 */
export const paddedSequence = (sequenceNumber: string): string => sequenceNumber.padStart(40, "0");

/**
 * A subscriptions-stream batch -> the change of each game counter. An INSERT
 * is a fan starting to watch, a REMOVE one stopping (unsubscribe, disconnect,
 * a fan-out's 410 cleanup, the TTL sweep), whichever code path deleted the
 * item, and only once: deleting a subscription already gone writes no record.
 * MODIFY (a subscribe repeated) and other topic families count nothing.
 */
export function counterChanges(changes: Change[]): CounterChange[] {
  const byCounter = new Map<string, CounterChange>();
  for (const change of changes) {
    const delta = change.eventName === "INSERT" ? 1 : change.eventName === "REMOVE" ? -1 : 0;
    if (delta === 0) continue;
    const image = (delta === 1 ? change.newImage : change.oldImage) ?? {};
    const { topic, topicShard } = image;
    if (typeof topic !== "string" || typeof topicShard !== "string") continue;
    // The canary proves push on its own game; counting its one watcher would bump that game's seq under it.
    if (!topic.startsWith("game/") || topic === CANARY_TOPIC) continue;
    const parsed = parseTopic(topic);
    // `_list` is the games table's list item, not a game: a count written there would republish games/all.
    if (parsed.id === GAME_LIST_ITEM_ID) continue;
    let counter = byCounter.get(topicShard);
    if (!counter) byCounter.set(topicShard, (counter = { counterId: topicShard, gameId: parsed.id, records: [] }));
    counter.records.push({ sequence: paddedSequence(change.sequenceNumber), delta });
  }
  for (const counter of byCounter.values()) counter.records.sort((a, b) => (a.sequence < b.sequence ? -1 : 1));
  return [...byCounter.values()];
}

/** The records of a counter past the last one it counted (all of them when it has counted none). */
export const recordsAfter = (records: CountedRecord[], lastCounted: string | undefined): CountedRecord[] =>
  lastCounted === undefined ? records : records.filter((record) => record.sequence > lastCounted);

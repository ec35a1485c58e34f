/**
 * The `watchersTally` consumer of the subscriptions table's stream: counts
 * each batch's arrivals and departures into the game counters, then publishes
 * each touched game's count through the normal publish path (a write to the
 * game's item, which its own stream pushes as a `score-update`), at most once
 * per `watchingIntervalMs` per game. Rules in ../occupancy.ts; the argument in
 * docs/architecture.md, "Occupancy".
 *
 * The throttle waits rather than drops: a count that changed too soon after
 * the last push is published when the interval is over, by this invocation
 * (it sleeps until then, holding its stream shard, which coalesces the
 * records that arrive meanwhile into the next batch). So the last change
 * before a quiet period is always published, at most one interval late.
 * Several stream shards may carry one game's subscriptions: the push is a
 * conditional write on the game's `watchingAt`, so whichever invocation comes
 * first publishes, and the others read the count again and stop when it is
 * the one published.
 */
import { approximateWatching, counterChanges, recordsAfter, watchingIntervalMs, type CounterChange } from "../occupancy";
import type { Clock, Deadline, GameStore, WatcherCounters } from "../ports";
import type { Change } from "../stream";

export interface OccupancyDeps {
  counters: WatcherCounters;
  games: Pick<GameStore, "watchingOf" | "publishWatching">;
  /** Counters summed per game: the subscription shards the fan-out lists. */
  shardCount: number;
  clock: Clock;
  sleep(ms: number): Promise<void>;
  /** The shortest interval between two count pushes of a game (WATCHING_MIN_INTERVAL_MS unless configured). */
  minIntervalMs: number;
}

export interface OccupancyScope {
  deadline?: Deadline;
  /** Time to keep before the invocation's timeout: a wait that would end later fails the batch for a retry. */
  reserveMs?: number;
}

export type WatchingOutcome = "published" | "unchanged" | "no-game";

/** One batch: counts first (idempotent), then one publication per touched game. Throws to have the batch retried. */
export async function tallyWatchers(
  deps: OccupancyDeps,
  changes: Change[],
  scope: OccupancyScope = {},
): Promise<Map<string, WatchingOutcome>> {
  const counters = counterChanges(changes);
  // One UpdateItem per counter of the batch, never one per fan.
  await Promise.all(counters.map((counter) => countOnce(deps.counters, counter)));
  const games = [...new Set(counters.map((counter) => counter.gameId))];
  const outcomes = await Promise.all(games.map(async (gameId) => [gameId, await publishWatching(deps, gameId, scope)] as const));
  return new Map(outcomes);
}

/** Adds a counter's records past the last one it counted; a retried batch adds nothing twice. */
export async function countOnce(counters: WatcherCounters, change: CounterChange): Promise<void> {
  let pending = change.records;
  while (pending.length > 0) {
    const delta = pending.reduce((sum, record) => sum + record.delta, 0);
    const outcome = await counters.add(change.counterId, change.gameId, delta, pending[0]!.sequence, pending.at(-1)!.sequence);
    if (outcome.added) return;
    pending = recordsAfter(pending, outcome.lastCounted);
  }
}

/**
 * Publishes the game's current (rounded) count unless it is the one already
 * published; waits for the game's interval when the last push was too recent.
 */
export async function publishWatching(deps: OccupancyDeps, gameId: string, scope: OccupancyScope = {}): Promise<WatchingOutcome> {
  for (;;) {
    const state = await deps.games.watchingOf(gameId);
    if (!state) return "no-game";
    const watching = approximateWatching(await deps.counters.sum(gameId, deps.shardCount));
    if (state.watching === watching) return "unchanged";
    const now = deps.clock.now();
    const audience = Math.max(watching, state.watching ?? 0);
    const due = state.watchingAt === undefined ? now : state.watchingAt + watchingIntervalMs(audience, deps.minIntervalMs);
    if (due > now) {
      const wait = due - now;
      if (scope.deadline && wait > scope.deadline.remainingMs() - (scope.reserveMs ?? 0)) {
        throw new Error(`the count of game ${gameId} is due in ${wait} ms, past this invocation's time; the batch is retried`);
      }
      await deps.sleep(wait);
      continue;
    }
    // Lost to another invocation (it published meanwhile): read again, and publish only if the count still differs.
    if (await deps.games.publishWatching(gameId, watching, now, state.watchingAt)) return "published";
  }
}

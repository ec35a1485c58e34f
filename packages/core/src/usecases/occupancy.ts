/**
 * How a game's `watching` count is kept and published (rules in
 * ../occupancy.ts; the argument in docs/architecture.md, "Occupancy"):
 *
 * - `tallyWatchers`, the `watchersTally` consumer of the subscriptions
 *   table's stream: counts each batch's arrivals and departures into the game
 *   counters, then brings each touched game's count up to date.
 * - `watchingHeartbeat`, a schedule once a minute: publishes the counts that
 *   were carried (below) once their push is due.
 *
 * Only games an operator described (PUT /games/{gameId}) are counted: those
 * are the games fans are shown. A count is published through the normal
 * publish path: a write to the game's item that bumps its seq, which the games stream pushes as a `score-update`
 * (and writes to the snapshot). At most one such push per game per
 * `watchingIntervalMs`, which grows with the audience. A count that changed
 * before its push is due is *carried*: written on the item without a new seq,
 * so the next score update carries it to every fan at no extra message; and
 * it is still pushed when due, by this invocation if that is soon, else by the
 * heartbeat, so the last change before a quiet period is never left unsaid.
 * Several stream shards may carry one game's subscriptions: a push is a
 * conditional write on the game's `watchingAt`, so one invocation wins, and
 * the others read again and stop when the count is already out.
 */
import { approximateWatching, counterChanges, recordsAfter, watchingIntervalMs, type CounterChange } from "../occupancy";
import type { Clock, Deadline, GameStore, WatcherCounters } from "../ports";
import type { Change } from "../stream";

export interface OccupancyDeps {
  counters: WatcherCounters;
  games: Pick<GameStore, "watchingOf" | "publishWatching" | "carryWatching" | "carriedWatching">;
  /** Counters summed per game: the subscription shards the fan-out lists. */
  shardCount: number;
  clock: Clock;
  sleep(ms: number): Promise<void>;
  /** The shortest interval between two count pushes of a game (WATCHING_MIN_INTERVAL_MS unless configured). */
  minIntervalMs: number;
}

export interface OccupancyScope {
  /** The longest this invocation waits for a push to be due; a later one is carried. */
  maxWaitMs: number;
  deadline?: Deadline;
  /** Time to keep before the invocation's timeout: waits never run into it. */
  reserveMs?: number;
}

/** The consumer waits this long at most (a small game's interval), so one big game never holds its stream shard long. */
export const TALLY_MAX_WAIT_MS = 10_000;
/** The heartbeat waits for pushes due within its minute, so they go out on time rather than up to a minute late. */
export const HEARTBEAT_MAX_WAIT_MS = 60_000;

/** "carried": written on the item, pushed later (with a score update, or by the heartbeat when due); "no-game": not a described game. */
export type WatchingOutcome = "published" | "carried" | "unchanged" | "no-game";

/** One batch: counts first (idempotent), then each touched game's count. Throws to have the batch retried. */
export async function tallyWatchers(
  deps: OccupancyDeps,
  changes: Change[],
  scope: OccupancyScope = { maxWaitMs: TALLY_MAX_WAIT_MS },
): Promise<Map<string, WatchingOutcome>> {
  const counters = counterChanges(changes);
  // One UpdateItem per counter of the batch, never one per fan.
  await Promise.all(counters.map((counter) => countOnce(deps.counters, counter)));
  const games = [...new Set(counters.map((counter) => counter.gameId))];
  return outcomesOf(games, (gameId) => publishWatching(deps, gameId, scope));
}

/** The schedule: every game whose count was carried, published when due (waiting for those due within the minute). */
export async function watchingHeartbeat(
  deps: OccupancyDeps,
  scope: OccupancyScope = { maxWaitMs: HEARTBEAT_MAX_WAIT_MS },
): Promise<Map<string, WatchingOutcome>> {
  return outcomesOf(await deps.games.carriedWatching(), (gameId) => publishWatching(deps, gameId, scope));
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
 * Brings one game's count up to date: pushes the counters' current (rounded)
 * sum if it differs from the last pushed and the game's interval is over,
 * waits for that if it is within `maxWaitMs`, and carries it otherwise.
 */
export async function publishWatching(deps: OccupancyDeps, gameId: string, scope: OccupancyScope): Promise<WatchingOutcome> {
  for (;;) {
    const state = await deps.games.watchingOf(gameId);
    if (!state) return "no-game";
    const watching = approximateWatching(await deps.counters.sum(gameId, deps.shardCount));
    if (state.watchingPushed === watching) {
      // Back to what fans were last pushed: nothing to push, and nothing different to carry.
      if (state.watching !== watching && !(await deps.games.carryWatching(gameId, watching))) return "no-game";
      return "unchanged";
    }
    const now = deps.clock.now();
    const audience = Math.max(watching, state.watchingPushed ?? 0);
    const due = state.watchingAt === undefined ? now : state.watchingAt + watchingIntervalMs(audience, deps.minIntervalMs);
    if (due > now) {
      const room = scope.deadline ? scope.deadline.remainingMs() - (scope.reserveMs ?? 0) : Number.POSITIVE_INFINITY;
      if (due - now > Math.min(scope.maxWaitMs, room)) {
        if (state.watching === watching) return "carried";
        return (await deps.games.carryWatching(gameId, watching)) ? "carried" : "no-game";
      }
      await deps.sleep(due - now);
      continue;
    }
    // Lost to another invocation (it pushed meanwhile): read again, and push only if the count still differs.
    if (await deps.games.publishWatching(gameId, watching, now, state.watchingAt)) return "published";
  }
}

async function outcomesOf(gameIds: string[], run: (gameId: string) => Promise<WatchingOutcome>): Promise<Map<string, WatchingOutcome>> {
  return new Map(await Promise.all(gameIds.map(async (gameId) => [gameId, await run(gameId)] as const)));
}

/**
 * Fair scheduling of route invocations (messages) across connections.
 *
 * Each connection has a FIFO lane: its messages run one at a time, in the
 * order they arrived. Lanes with work take turns (round-robin), and at most
 * `maxConcurrent` invocations run at once across all lanes. So one connection
 * that floods holds at most one slot, and a message of any other connection
 * waits for at most one turn of each busy lane, never behind the flood.
 *
 * A lane holds at most `maxQueuedPerLane` waiting messages; `submit` returns
 * false past that, and the caller answers the client (the work is dropped).
 */
export type RouteTask = () => Promise<void>;

interface Lane {
  readonly id: string;
  readonly waiting: RouteTask[];
  running: boolean;
  inTurn: boolean;
}

export interface RouteSchedulerOptions {
  maxConcurrent: number;
  maxQueuedPerLane: number;
  /** Told of a task that threw (the gateway's tasks catch their own errors; this is a backstop). */
  onTaskError(error: unknown): void;
}

export class RouteScheduler {
  private readonly lanes = new Map<string, Lane>();
  /** Lanes with a waiting task and none running, in the order they get their next turn. */
  private readonly turns: Lane[] = [];
  private running = 0;

  constructor(private readonly options: RouteSchedulerOptions) {}

  /** Queues a task on a lane; false when that lane is full (the task is not queued). */
  submit(laneId: string, task: RouteTask): boolean {
    let lane = this.lanes.get(laneId);
    if (!lane) this.lanes.set(laneId, (lane = { id: laneId, waiting: [], running: false, inTurn: false }));
    if (lane.waiting.length >= this.options.maxQueuedPerLane) return false;
    lane.waiting.push(task);
    this.offerTurn(lane);
    this.pump();
    return true;
  }

  /** Forgets a lane's waiting tasks (its connection closed); a running one finishes. */
  drop(laneId: string): void {
    const lane = this.lanes.get(laneId);
    if (!lane) return;
    lane.waiting.length = 0;
    if (!lane.running) this.lanes.delete(laneId);
  }

  /** Invocations running now, across all lanes. */
  get active(): number {
    return this.running;
  }

  private offerTurn(lane: Lane) {
    if (lane.running || lane.inTurn || lane.waiting.length === 0) return;
    lane.inTurn = true;
    this.turns.push(lane);
  }

  private pump() {
    while (this.running < this.options.maxConcurrent && this.turns.length > 0) {
      const lane = this.turns.shift()!;
      lane.inTurn = false;
      const task = lane.waiting.shift();
      if (!task) continue;
      lane.running = true;
      this.running += 1;
      void this.run(lane, task);
    }
  }

  private async run(lane: Lane, task: RouteTask) {
    try {
      await task();
    } catch (error) {
      this.options.onTaskError(error);
    } finally {
      this.running -= 1;
      lane.running = false;
      // To the back of the turns: the others go first (round-robin).
      this.offerTurn(lane);
      if (lane.waiting.length === 0 && this.lanes.get(lane.id) === lane) this.lanes.delete(lane.id);
      this.pump();
    }
  }
}

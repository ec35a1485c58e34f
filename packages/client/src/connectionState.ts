import type { Clock } from "./environment";
import type { PushClientError } from "./errors";
import { ExternalStore, type ReadableStore } from "./externalStore";

/**
 * - `connecting`: the first socket since `connect()` (or since coming back online) is opening.
 * - `live`: a socket is open; pushes arrive.
 * - `reconnecting`: a live socket dropped; a retry is scheduled or under way, not polling yet
 *   (the data is seconds old, the retry usually succeeds at once).
 * - `polling`: a socket attempt failed; snapshots are polled over presigned S3 URLs while the
 *   socket is retried in the background with backoff.
 * - `closed`: nothing runs: not connected yet (`reason` undefined), `close()` was called
 *   (`reason: "client"`), or the device is offline (`reason: "offline"`; the client
 *   reconnects by itself when it is back online).
 */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "polling" | "closed";

/** `client`: `close()` was called; `offline`: the device lost its network. */
export type ClosedReason = "client" | "offline";

export interface ConnectionSnapshot {
  state: ConnectionState;
  /** Consecutive failed socket attempts since the last connection that stayed live. */
  attempt: number;
  /** Epoch ms of the next socket attempt, while one is scheduled (for "Reconnecting in N s"). */
  nextRetryAt: number | undefined;
  /** Epoch ms of entering `state`. */
  since: number;
  /** Why the client is closed; undefined in other states and before the first `connect()`. */
  reason: ClosedReason | undefined;
  /** The failure that led here, if one did. */
  lastError: PushClientError | undefined;
}

export interface StateChange {
  from: ConnectionState;
  to: ConnectionState;
  connection: ConnectionSnapshot;
}

export interface StateDetails {
  attempt: number;
  nextRetryAt?: number;
  reason?: ClosedReason;
  lastError?: PushClientError;
}

/**
 * The connection state, changed only through `setState` (as centrifuge-js's
 * single `_setState`), so every change produces exactly one new snapshot and
 * one `onChange` call and no code path can move the state behind the badge's back.
 */
export class ConnectionStateMachine {
  private readonly snapshots: ExternalStore<ConnectionSnapshot>;

  constructor(
    private readonly clock: Clock,
    private readonly onChange: (change: StateChange) => void,
  ) {
    this.snapshots = new ExternalStore<ConnectionSnapshot>({
      state: "closed",
      attempt: 0,
      nextRetryAt: undefined,
      since: clock.now(),
      reason: undefined,
      lastError: undefined,
    });
  }

  get store(): ReadableStore<ConnectionSnapshot> {
    return this.snapshots;
  }

  get state(): ConnectionState {
    return this.snapshots.getSnapshot().state;
  }

  get snapshot(): ConnectionSnapshot {
    return this.snapshots.getSnapshot();
  }

  /**
   * Move to `to` with these details. A call that changes nothing is ignored; a
   * call that only changes details (a new `nextRetryAt` while polling) is still a
   * change: a new snapshot and an `onChange` with `from === to`.
   */
  setState(to: ConnectionState, details: StateDetails): void {
    const current = this.snapshots.getSnapshot();
    const next: ConnectionSnapshot = {
      state: to,
      attempt: details.attempt,
      nextRetryAt: details.nextRetryAt,
      since: to === current.state ? current.since : this.clock.now(),
      reason: to === "closed" ? (details.reason ?? "client") : undefined,
      lastError: details.lastError,
    };
    if (
      next.state === current.state &&
      next.attempt === current.attempt &&
      next.nextRetryAt === current.nextRetryAt &&
      next.reason === current.reason &&
      next.lastError === current.lastError
    ) {
      return;
    }
    this.snapshots.set(next);
    this.onChange({ from: current.state, to, connection: next });
  }
}

import { EventEmitter } from "node:events";
import { WebSocket } from "ws";
import { createPushClient, type PushClient, type PushClientOptions } from "../../src/client";
import type { StateChange } from "../../src/connectionState";
import type { OnlineSource } from "../../src/environment";
import type { PushClientError } from "../../src/errors";
import { FakeCloud, type FakeCloudOptions } from "./fakeCloud";
import { ManualClock, seededRandom } from "./manualClock";

/** The browser's online/offline events, driven by the test. */
export class ManualOnline implements OnlineSource {
  private online = true;
  private readonly listeners = new Set<(online: boolean) => void>();
  isOnline = () => this.online;
  subscribe(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(online: boolean): void {
    this.online = online;
    for (const listener of this.listeners) listener(online);
  }
}

export interface Harness {
  clock: ManualClock;
  cloud: FakeCloud;
  client: PushClient;
  online: ManualOnline;
  errors: PushClientError[];
  states: StateChange[];
  /** Resolve once `check` holds, re-checked on every cloud and client event. */
  until<T>(check: () => T | undefined | false, what: string): Promise<T>;
  /**
   * Advance virtual time by `ms` in ping-sized steps, letting each ping's pong
   * come back over the real socket before moving on (a single jump would fire
   * the pong timeout before the pong could arrive).
   */
  advanceKeepingAlive(ms: number, pingIntervalMs?: number): Promise<void>;
  /** `subscribed` acks received so far. */
  acks: number;
  /** Connect and wait until live and (when `expectAck`) the subscribe is acknowledged. */
  goLive(expectAck?: boolean): Promise<void>;
  dispose(): Promise<void>;
}

export async function startHarness(
  options: Partial<PushClientOptions> = {},
  cloudOptions: Partial<FakeCloudOptions> = {},
): Promise<Harness> {
  const clock = new ManualClock();
  const cloud = await FakeCloud.start({ now: clock.now, ...cloudOptions });
  const online = new ManualOnline();
  // ws's own WebSocket, counting the pings the client sends (to wait for their pongs).
  const pingsSent = { count: 0 };
  class CountingWebSocket extends WebSocket {
    override send(data: string): void {
      if ((JSON.parse(data) as { action?: string }).action === "ping") pingsSent.count++;
      super.send(data);
    }
  }
  const client = createPushClient({
    httpApiUrl: cloud.httpApiUrl,
    websocketUrl: cloud.websocketUrl,
    WebSocket: CountingWebSocket,
    timers: clock,
    clock,
    random: seededRandom(7),
    online,
    // No page here: tests that are not about liveness keep the hidden page's cadence out of their way.
    pingIntervalMs: 5 * 60_000,
    ...options,
  });
  const changes = new EventEmitter();
  changes.setMaxListeners(100);
  const errors: PushClientError[] = [];
  const states: StateChange[] = [];
  client.on("error", (error) => {
    errors.push(error);
    changes.emit("change");
  });
  client.on("state", (change) => {
    states.push(change);
    changes.emit("change");
  });
  clock.onSchedule = () => changes.emit("change");
  let acks = 0;
  let pongs = 0;
  client.on("pong", () => pongs++);
  client.on("subscribed", () => acks++);
  for (const type of ["message", "stale", "subscribed", "token", "handover", "pong"] as const) {
    client.on(type, () => changes.emit("change"));
  }
  const until = <T>(check: () => T | undefined | false, what: string) => cloud.until(check, what, changes);
  return {
    clock,
    cloud,
    client,
    online,
    errors,
    states,
    until,
    async advanceKeepingAlive(ms, pingIntervalMs = 5 * 60_000) {
      let remaining = ms;
      while (remaining > 0) {
        const step = Math.min(remaining, pingIntervalMs);
        clock.advance(step);
        remaining -= step;
        await until(() => pongs >= pingsSent.count, `the pong to ping ${pingsSent.count}`);
      }
    },
    get acks() {
      return acks;
    },
    async goLive(expectAck = true) {
      const before = acks;
      client.connect();
      await until(() => client.getState() === "live", "the client to go live");
      if (expectAck) await until(() => acks > before, "the subscribe ack");
    },
    async dispose() {
      client.close();
      await cloud.stop();
    },
  };
}

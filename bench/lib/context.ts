/** What every scenario gets: the running local cloud, the fan processes, the run's options. */
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import type { LocalCloud } from "@pushgate/local";
import type { FanFleet } from "./fan-fleet";

export interface BenchOptions {
  quick: boolean;
}

export interface BenchContext {
  cloud: LocalCloud;
  fleet: FanFleet;
  options: BenchOptions;
  /** Read from the local cloud's log: handshakes the gateway refused over its new-connection quota. */
  counters: { refused429: number };
}

// The gateway's memory per connection is read after a full GC; `tsx` cannot pass
// --expose-gc through the npm script, so the flag is set at run time instead.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** RSS and heap of this process (which hosts the gateway, the HTTP API and the handlers) after a full GC. */
export function serverMemory(): { rssMB: number; heapUsedMB: number } {
  gc();
  gc();
  const usage = process.memoryUsage();
  return { rssMB: usage.rss / 2 ** 20, heapUsedMB: usage.heapUsed / 2 ** 20 };
}

export function localCloudCredentials(cloud: LocalCloud): { accessKeyId: string; secretAccessKey: string } {
  return cloud.adminCredentials;
}

/**
 * The orchestrator's handle on k fan processes: splits a count over them,
 * sends one command to each and gathers the replies. Each reply is awaited
 * with a deadline, so a wedged child fails the scenario instead of hanging it.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { stopChildProcess } from "./child-process";
import type { FanCommand, FanReply } from "./fan-protocol";

const FAN_PROCESS = fileURLToPath(new URL("../fan-process.ts", import.meta.url));

/** FanCommand without its id: the fleet numbers commands itself. */
type Command = FanCommand extends infer C ? (C extends { id: number } ? Omit<C, "id"> : never) : never;

export class FanFleet {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private constructor(private readonly children: ChildProcess[]) {
    for (const child of children) {
      child.on("message", (reply: FanReply) => {
        const waiter = this.waiting.get(reply.id);
        if (!waiter) return;
        this.waiting.delete(reply.id);
        if (reply.error !== undefined) waiter.reject(new Error(`fan process ${child.pid}: ${reply.error}`));
        else waiter.resolve(reply.result);
      });
      child.on("exit", (code) => {
        if (code !== 0 && code !== null)
          for (const waiter of this.waiting.values()) waiter.reject(new Error(`fan process ${child.pid} exited with ${code}`));
      });
    }
  }

  static start(processes: number): FanFleet {
    const children = Array.from({ length: processes }, () =>
      fork(FAN_PROCESS, [], {
        execArgv: ["--import", "tsx", "--max-old-space-size=2048"],
        // The bench process prints the AWS SDK's Node-version warning once; each fan process would repeat it.
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      }),
    );
    return new FanFleet(children);
  }

  get size(): number {
    return this.children.length;
  }

  get pids(): number[] {
    return this.children.map((child) => child.pid!);
  }

  /** `total` split as evenly as possible over the processes. */
  share(total: number): number[] {
    return this.children.map((_, index) => Math.floor(total / this.size) + (index < total % this.size ? 1 : 0));
  }

  /** Sends `commandFor(index)` to every process (skipping undefined) and resolves with their replies in order. */
  async all<R>(commandFor: (index: number) => Command | undefined, timeoutMs: number): Promise<R[]> {
    const replies = this.children.map((child, index) => {
      const command = commandFor(index);
      return command ? this.send<R>(child, command, timeoutMs) : Promise.resolve(undefined as R);
    });
    return Promise.all(replies);
  }

  private send<R>(child: ChildProcess, command: Command, timeoutMs: number): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`fan process ${child.pid} did not answer "${command.type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as R);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      child.send({ ...command, id });
    });
  }

  /** Disconnects every child (they exit on disconnect) and kills any that is still there after 5 s. */
  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => stopChildProcess(child, 5000)));
  }
}

/**
 * Gateway memory per open connection: the emulator alone in a fresh process
 * (bench/gateway-memory-process.ts), sockets added in steps by the fan
 * processes, memory read after a full GC at each step; the slope is the cost
 * of one more connection. A fresh process, because in the bench's server
 * process RSS keeps the high-water mark of earlier scenarios.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { stopChildProcess } from "../lib/child-process";
import { FanFleet } from "../lib/fan-fleet";
import type { OpenedReply } from "../lib/fan-protocol";
import { progress } from "../lib/progress";
import { round } from "../lib/stats";
import { sleep } from "../lib/clock";

export interface GatewayMemoryResult {
  steps: { connections: number; rssMB: number; heapUsedMB: number; externalMB: number }[];
  /** Least-squares slope, MB per 1,000 connections. */
  rssPer1000MB: number;
  heapPer1000MB: number;
}

const SERVER = fileURLToPath(new URL("../gateway-memory-process.ts", import.meta.url));

function slopePer1000(points: { x: number; y: number }[]): number {
  const n = points.length;
  const meanX = points.reduce((t, p) => t + p.x, 0) / n;
  const meanY = points.reduce((t, p) => t + p.y, 0) / n;
  const numerator = points.reduce((t, p) => t + (p.x - meanX) * (p.y - meanY), 0);
  const denominator = points.reduce((t, p) => t + (p.x - meanX) ** 2, 0);
  return (numerator / denominator) * 1000;
}

export async function runGatewayMemory(stepSize: number, steps: number): Promise<GatewayMemoryResult> {
  const server = fork(SERVER, [], { execArgv: ["--import", "tsx", "--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const fleet = FanFleet.start(2);
  let nextId = 1;
  const ask = () =>
    new Promise<GatewayMemoryResult["steps"][number]>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error("the gateway memory process did not answer in 30 s")), 30_000);
      const onMessage = (message: { id?: number; connections: number; rssMB: number; heapUsedMB: number; externalMB: number }) => {
        if (message.id !== id) return;
        clearTimeout(timer);
        server.off("message", onMessage);
        resolve({
          connections: message.connections,
          rssMB: round(message.rssMB, 2),
          heapUsedMB: round(message.heapUsedMB, 2),
          externalMB: round(message.externalMB, 2),
        });
      };
      server.on("message", onMessage);
      server.send({ type: "memory", id });
    });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the gateway memory process did not start in 60 s")), 60_000);
      server.once("message", (message: { url: string }) => {
        clearTimeout(timer);
        resolve(message.url);
      });
    });
    const points: GatewayMemoryResult["steps"] = [await ask()];
    for (let step = 1; step <= steps; step++) {
      const shares = fleet.share(stepSize);
      await fleet.all<OpenedReply>((index) => ({ type: "open-sockets", url, count: shares[index]!, ratePerSecond: 1000 }), 120_000);
      await sleep(300);
      points.push(await ask());
      progress(
        `footprint: gateway alone with ${points.at(-1)!.connections} sockets: RSS ${points.at(-1)!.rssMB} MB, heap ${points.at(-1)!.heapUsedMB} MB`,
      );
    }
    await fleet.all(() => ({ type: "close-sockets" }), 60_000);
    return {
      steps: points,
      rssPer1000MB: round(slopePer1000(points.map((p) => ({ x: p.connections, y: p.rssMB }))), 2),
      heapPer1000MB: round(slopePer1000(points.map((p) => ({ x: p.connections, y: p.heapUsedMB }))), 2),
    };
  } finally {
    await fleet.stop();
    await stopChildProcess(server, 10_000);
  }
}

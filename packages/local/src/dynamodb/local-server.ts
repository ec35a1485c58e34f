import { ListTablesCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { localDynamoDbClientConfig } from "./client-config";
import { forgetOnExit, killOnExit } from "./exit-hooks";
import { findFreePort, isPortFree } from "./free-port";
import { findDynamoDbLocalJar } from "./jar";
import { compiledLauncher, jdkInstallHint, launcherArgs } from "./launcher";
import { loopbackHost, urlHost } from "../listen-host";
import { quietLog, type Log } from "../log";
import { cleanStalePidFile, removePidFile, writePidFile } from "./pid-file";
import { waitForExit } from "./process-tools";

export interface StartDynamoDbLocalOptions {
  /** Database folder, created if missing; omitted: -inMemory (gone on stop). */
  dataDir?: string;
  /** Default: a free port. */
  port?: number;
  /** The interface java listens on. Default 127.0.0.1: DynamoDB Local checks no credentials. */
  host?: string;
  /** Written on start; a stale one left by a crashed run is cleaned first. */
  pidFile?: string;
  log?: Log;
  /** Java executable. Default: $JAVA_HOME/bin/java when set, else `java` on PATH. */
  java?: string;
  /** Default 30 s: a cold JVM on 2 busy cores can take several seconds. */
  readyTimeoutMs?: number;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, for `endpoint` in SDK clients. */
  endpoint: string;
  port: number;
  /** The interface java listens on. */
  host: string;
  /** Of the java process; for diagnostics (RSS) and tests. */
  pid: number;
  /** Stops java and waits until it has exited; safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would (fault tests); waits until it has exited. */
  kill(): Promise<void>;
}

/** How many lines of java output to keep for error messages. */
const outputTailLines = 30;

function resolveJava(option: string | undefined): string {
  if (option) return option;
  const fromHome = process.env.JAVA_HOME && join(process.env.JAVA_HOME, "bin", "java");
  return fromHome && existsSync(fromHome) ? fromHome : "java";
}

/** Resolves once the process has started; rejects with the install hint if java is missing. */
function spawned(child: ChildProcess, java: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    child.once("spawn", () => resolvePromise());
    child.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT")
        reject(new Error(`Java was not found (tried \`${java}\`); DynamoDB Local needs it. ${jdkInstallHint}`, { cause: error }));
      else reject(new Error(`Could not start java (\`${java}\`): ${error.message}. ${jdkInstallHint}`, { cause: error }));
    });
  });
}

export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const log = options.log ?? quietLog;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const pidFile = options.pidFile && resolve(options.pidFile);
  if (pidFile) await cleanStalePidFile(pidFile, log);

  const jar = findDynamoDbLocalJar();
  const host = options.host ?? loopbackHost;
  const port = options.port ?? (await findFreePort(host));
  if (options.port !== undefined && !(await isPortFree(port, host))) {
    throw new Error(
      `Port ${port} is taken, so DynamoDB Local cannot listen on it: pass another \`port\` (or none, for a free one), or stop what holds it (\`lsof -i :${port}\`).`,
    );
  }
  const storage: string[] = [];
  if (options.dataDir) {
    const dataDir = resolve(options.dataDir);
    // DynamoDB Local exits 0 with only "Invalid directory" when the folder is missing.
    mkdirSync(dataDir, { recursive: true });
    storage.push("-dbPath", dataDir);
  } else {
    storage.push("-inMemory");
  }
  const java = resolveJava(options.java);
  const args = launcherArgs(jar, await compiledLauncher({ jar, java }), host, [
    "-sharedDb",
    "-disableTelemetry",
    "-port",
    String(port),
    ...storage,
  ]);

  const startedAt = Date.now();
  const child = spawn(java, args, { cwd: jar.dir, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line.trim()) continue;
      output.push(line);
      log("debug", `[dynamodb-local] ${line}`);
    }
    output.splice(0, Math.max(0, output.length - outputTailLines));
  };
  // Always drain both pipes: a full pipe buffer would block java.
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  await spawned(child, java);
  const pid = child.pid!;
  killOnExit(child);
  if (pidFile) writePidFile(pidFile, { pid, port, startedAt: new Date(startedAt).toISOString() });

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once("exit", (code, signal) => resolveExit({ code, signal })),
  );
  let stopping = false;
  void exited.then(({ code, signal }) => {
    forgetOnExit(child);
    if (pidFile) removePidFile(pidFile, pid);
    if (!stopping) {
      log(
        "error",
        `DynamoDB Local (pid ${pid}, port ${port}) exited unexpectedly (code ${code}, signal ${signal}); restart the local cloud. Last output:\n${output.join("\n")}`,
      );
    }
  });

  const endpoint = `http://${urlHost(host)}:${port}`;
  const stop = async () => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    if (!(await waitForExit(pid, 5_000))) {
      log("warn", `DynamoDB Local (pid ${pid}) ignored SIGTERM for 5 s; killing it.`);
      child.kill("SIGKILL");
    }
    await exited;
  };

  const kill = async () => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGKILL");
    await exited;
  };

  try {
    await waitUntilReady({ endpoint, port, readyTimeoutMs, log, exited, output });
  } catch (error) {
    await stop();
    throw error;
  }
  log(
    "info",
    `DynamoDB Local ready on ${endpoint} in ${Date.now() - startedAt} ms (${options.dataDir ? `data in ${resolve(options.dataDir)}` : "in memory"}).`,
  );
  return { endpoint, port, host, pid, stop, kill };
}

interface ReadyWait {
  endpoint: string;
  port: number;
  readyTimeoutMs: number;
  log: Log;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: string[];
}

/** Polls ListTables until it answers, java dies, or the timeout passes. */
async function waitUntilReady({ endpoint, port, readyTimeoutMs, log, exited, output }: ReadyWait): Promise<void> {
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((value) => (exit = value));
  const client = new DynamoDBClient({ ...localDynamoDbClientConfig(endpoint), maxAttempts: 1 });
  const startedAt = Date.now();
  let nextProgressAt = startedAt + 2_000;
  let lastError: unknown;
  try {
    for (;;) {
      if (exit) {
        const tail = output.join("\n");
        const hint = /Address already in use|BindException/.test(tail)
          ? `Port ${port} is taken: pass another \`port\`, or stop what holds it (\`lsof -i :${port}\`).`
          : "Read the output above; for a -dbPath problem, check the folder is writable.";
        throw new Error(`DynamoDB Local exited during start-up (code ${exit.code}, signal ${exit.signal}). ${hint}\nOutput:\n${tail}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        // Answered, but by our java? One that failed to bind dies within moments.
        if (!exit) return;
        continue;
      } catch (error) {
        lastError = error;
      }
      const elapsed = Date.now() - startedAt;
      if (elapsed > readyTimeoutMs) {
        throw new Error(
          `DynamoDB Local did not answer ListTables on ${endpoint} within ${readyTimeoutMs} ms ` +
            `(last error: ${(lastError as Error)?.message}). The machine may be overloaded: raise \`readyTimeoutMs\`, or check the output:\n${output.join("\n")}`,
        );
      }
      if (Date.now() >= nextProgressAt) {
        log("info", `Waiting for DynamoDB Local on port ${port} (${Math.round(elapsed / 1000)} s)...`);
        nextProgressAt += 2_000;
      }
      await sleep(50);
    }
  } finally {
    client.destroy();
  }
}

import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { localDynamoDbClientConfig, startDynamoDbLocal } from "../../src/dynamodb/index";
import { findDynamoDbLocalJar } from "../../src/dynamodb/jar";
import { compiledLauncher } from "../../src/dynamodb/launcher";
import { isAlive, residentBytesOf } from "../../src/dynamodb/process-tools";

const scratch = mkdtempSync(join(tmpdir(), "pushgate-ddb-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const portAccepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });

describe("startDynamoDbLocal", () => {
  it("starts, answers the SDK, and leaves no java process or port after stop()", async () => {
    const lines: string[] = [];
    // The launcher is compiled once per machine (javac, about 1.5 s); every later start reuses it.
    await compiledLauncher({ jar: findDynamoDbLocalJar(), java: "java" });
    const startedAt = Date.now();
    const db = await startDynamoDbLocal({ log: (_level, message) => lines.push(message) });
    const readyMs = Date.now() - startedAt;
    const rssMB = (residentBytesOf(db.pid) ?? 0) / 1024 / 1024;
    // Printed, not asserted: a start time is a speed number (2-3 s idle, 7 s on a loaded CI machine), and
    // startDynamoDbLocal's own readiness timeout is what fails a start that hangs.
    console.info(`DynamoDB Local ready in ${readyMs} ms, RSS ${rssMB.toFixed(0)} MB`);
    expect(db.endpoint).toBe(`http://127.0.0.1:${db.port}`);
    expect(lines.some((line) => line.includes("ready on"))).toBe(true);

    const client = new DynamoDBClient(localDynamoDbClientConfig(db.endpoint));
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    client.destroy();

    await db.stop();
    expect(isAlive(db.pid)).toBe(false);
    expect(await portAccepts(db.port)).toBe(false);
    await db.stop(); // a second stop is harmless
  });

  it("keeps data in dataDir (created if missing) across restarts, and writes then removes the pid file", async () => {
    const dataDir = join(scratch, "data", "nested");
    const pidFile = join(scratch, "run", "ddb.pid");
    const first = await startDynamoDbLocal({ dataDir, pidFile });
    expect(JSON.parse(readFileSync(pidFile, "utf8")).pid).toBe(first.pid);
    const client = new DynamoDBClient(localDynamoDbClientConfig(first.endpoint));
    const { CreateTableCommand } = await import("@aws-sdk/client-dynamodb");
    await client.send(
      new CreateTableCommand({
        TableName: "kept",
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      }),
    );
    client.destroy();
    await first.stop();
    expect(existsSync(pidFile)).toBe(false);

    const second = await startDynamoDbLocal({ dataDir });
    const again = new DynamoDBClient(localDynamoDbClientConfig(second.endpoint));
    expect((await again.send(new ListTablesCommand({}))).TableNames).toEqual(["kept"]);
    again.destroy();
    await second.stop();
  });

  it("kills a DynamoDB Local left behind by a SIGKILLed parent when the next run starts with the same pid file", async () => {
    const pidFile = join(scratch, "stale.pid");
    const parent = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "fixtures", "crashing-parent.ts"), pidFile], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: parent.stdout! }).once("line", resolve);
      parent.once("exit", (code) => reject(new Error(`fixture exited early with ${code}`)));
    });
    const orphan = JSON.parse(firstLine) as { javaPid: number; port: number };
    parent.kill("SIGKILL");
    await new Promise((resolve) => parent.once("exit", resolve));
    // The crash left java running and holding its port: the situation to clean up.
    expect(isAlive(orphan.javaPid)).toBe(true);
    expect(await portAccepts(orphan.port)).toBe(true);

    const db = await startDynamoDbLocal({ pidFile, port: orphan.port });
    expect(isAlive(orphan.javaPid)).toBe(false);
    expect(JSON.parse(readFileSync(pidFile, "utf8")).pid).toBe(db.pid);
    await db.stop();
  });

  it.each(["SIGTERM", "SIGINT"] as const)("on %s kills java and still lets the host process die of the signal", async (signal) => {
    const parent = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "fixtures", "crashing-parent.ts"), join(scratch, `${signal}.pid`)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      parent.once("exit", (code, exitSignal) => resolve({ code, signal: exitSignal })),
    );
    const firstLine = await new Promise<string>((resolve) => createInterface({ input: parent.stdout! }).once("line", resolve));
    const { javaPid } = JSON.parse(firstLine) as { javaPid: number };
    parent.kill(signal);
    // Default signal behaviour kept: the host dies of the signal rather than hanging on.
    expect(await exit).toEqual({ code: null, signal });
    await expect.poll(() => isAlive(javaPid), { timeout: 5_000 }).toBe(false);
  });

  it("leaves alone a process named by a stale pid file that is not DynamoDB Local", async () => {
    const pidFile = join(scratch, "reused.pid");
    // Our own pid: a pid reused by an unrelated program.
    writeFileSync(pidFile, JSON.stringify({ pid: process.pid, port: 1, startedAt: "" }));
    const db = await startDynamoDbLocal({ pidFile });
    expect(JSON.parse(readFileSync(pidFile, "utf8")).pid).toBe(db.pid);
    await db.stop();
  });

  it("says how to install Java when java is not on PATH", async () => {
    const saved = { PATH: process.env.PATH, JAVA_HOME: process.env.JAVA_HOME };
    process.env.PATH = join(scratch, "no-java-here");
    delete process.env.JAVA_HOME;
    try {
      await expect(startDynamoDbLocal({})).rejects.toThrow(
        /(Java|javac) was not found.*Install a JDK 17: `apt-get install -y openjdk-17-jdk-headless`/s,
      );
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.JAVA_HOME !== undefined) process.env.JAVA_HOME = saved.JAVA_HOME;
    }
  });

  it("reports a taken port with what to do", async () => {
    const db = await startDynamoDbLocal({});
    try {
      await expect(startDynamoDbLocal({ port: db.port })).rejects.toThrow(new RegExp(`Port ${db.port} is taken`));
    } finally {
      await db.stop();
    }
  });
});

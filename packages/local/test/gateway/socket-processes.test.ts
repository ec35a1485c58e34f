/**
 * The gateway with its sockets in this process (1) and in socket holder
 * processes (2): the same behaviours through both, and the point of the
 * split, that the front keeps no descriptor of an accepted socket.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { spawn } from "node:child_process";
import { createConnection } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { DELETE_CONNECTION_CLOSE } from "../../src/gateway";
import { startTestGateway, type TestGateway } from "./harness";

let current: TestGateway | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

const echoRoutes = {
  $connect: {},
  $disconnect: {},
  echo: { routeResponse: true, handler: (event: { body?: string }) => ({ statusCode: 200, body: `echo ${event.body}` }) },
};

describe.each([1, 2])("the gateway with socketProcesses %i", (socketProcesses) => {
  const start = async (options: Parameters<typeof startTestGateway>[0]) =>
    (current = await startTestGateway({ ...options, socketProcesses }));

  it("opens a connection $connect accepts, with the subprotocol it chose", async () => {
    const t = await start({
      routes: { ...echoRoutes, $connect: { handler: () => ({ statusCode: 200, headers: { "Sec-WebSocket-Protocol": "pushgate.v1" } }) } },
    });
    const ws = await t.connect({ protocols: ["pushgate.v1", "other"] });
    expect(ws.protocol).toBe("pushgate.v1");
    expect(t.gateway.connections()).toHaveLength(1);
    expect(t.gateway.socketProcessIds()).toHaveLength(socketProcesses === 1 ? 0 : socketProcesses);
  });

  it("refuses a connection $connect refuses, without $disconnect", async () => {
    const t = await start({ routes: { ...echoRoutes, $connect: { handler: () => ({ statusCode: 401, body: "no" }) } } });
    await expect(t.connect()).rejects.toThrow("Unexpected server response: 401");
    expect(t.gateway.connections()).toHaveLength(0);
    expect(t.recorder.of("$disconnect")).toHaveLength(0);
  });

  it("routes a message and sends its route response", async () => {
    const t = await start({ routes: echoRoutes });
    const client = t.connect();
    const ws = await client;
    ws.send(JSON.stringify({ action: "echo", n: 1 }));
    expect(await client.nextMessage()).toBe('echo {"action":"echo","n":1}');
    const event = t.recorder.of("echo")[0]!;
    expect(event.requestContext.connectionId).toBe(t.gateway.connections()[0]!.connectionId);
    ws.send("no route");
    expect(JSON.parse(await client.nextMessage())).toMatchObject({ message: "Forbidden" });
  });

  it("posts, gets and deletes a connection, and answers 410 once it is closed", async () => {
    const t = await start({ routes: echoRoutes });
    const client = t.connect({ headers: { "user-agent": "fan/3" } });
    await client;
    const id = t.gateway.connections()[0]!.connectionId;
    await t.management.send(new PostToConnectionCommand({ ConnectionId: id, Data: "bytes é" }));
    expect(await client.nextMessage()).toBe("bytes é");
    expect(t.gateway.deliveries()).toBe(1);
    const got = await t.management.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(got.ConnectedAt?.getTime()).toBe(t.gateway.connections()[0]!.connectedAt);
    expect(got.Identity).toEqual({ SourceIp: "127.0.0.1", UserAgent: "fan/3" });
    const deleted = await t.management.send(new DeleteConnectionCommand({ ConnectionId: id }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    expect(await client.closed).toEqual(DELETE_CONNECTION_CLOSE);
    const event = await t.recorder.waitFor("$disconnect");
    expect(event.requestContext).toMatchObject({ connectionId: id, disconnectStatusCode: DELETE_CONNECTION_CLOSE.code });
    for (const command of [
      new PostToConnectionCommand({ ConnectionId: id, Data: "x" }),
      new GetConnectionCommand({ ConnectionId: id }),
      new DeleteConnectionCommand({ ConnectionId: id }),
    ]) {
      const error = await t.management.send(command as PostToConnectionCommand).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GoneException);
      expect((error as GoneException).message).toMatch(/gone; delete it/);
    }
  });

  it("reports the client's close code and reason to $disconnect", async () => {
    const t = await start({ routes: echoRoutes });
    const client = t.connect();
    (await client).close(4001, "going home");
    const event = await t.recorder.waitFor("$disconnect");
    expect(event.requestContext).toMatchObject({ disconnectStatusCode: 4001, disconnectReason: "going home" });
    expect(t.gateway.connections()).toHaveLength(0);
  });

  it("closes an oversized frame with 1009 and a binary frame with 1003", async () => {
    const t = await start({ routes: echoRoutes });
    const big = t.connect();
    (await big).send("x".repeat(40 * 1024));
    expect(await big.closed).toEqual({ code: 1009, reason: "Message too big" });
    expect((await t.recorder.waitFor("$disconnect")).requestContext.disconnectStatusCode).toBe(1009);
    const binary = t.connect();
    (await binary).send(Buffer.from([1, 2, 3]));
    expect((await binary.closed).code).toBe(1003);
    expect((await t.recorder.waitFor("$disconnect", 2)).requestContext.disconnectStatusCode).toBe(1003);
  });

  it("keeps the bytes a client sent right behind its handshake, before the 101 and during $connect", async () => {
    let release!: () => void;
    const connectAnswered = new Promise<void>((resolve) => (release = resolve));
    const t = await start({ routes: { ...echoRoutes, $connect: { handler: () => connectAnswered } } });
    const socket = createConnection({ host: "127.0.0.1", port: t.gateway.port });
    await new Promise((resolve) => socket.once("connect", resolve));
    const received: Buffer[] = [];
    socket.on("data", (chunk) => received.push(chunk));
    // In the handshake's own packet (the front's `head`), then while $connect runs (read, or not, by the front).
    socket.write(Buffer.concat([Buffer.from(handshake(t.gateway.port)), maskedTextFrame('{"action":"echo","n":1}')]));
    await t.recorder.waitFor("$connect");
    socket.write(maskedTextFrame('{"action":"echo","n":2}'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await t.recorder.waitFor("echo", 2);
    const text = () => Buffer.concat(received).toString("latin1");
    while (!text().includes('echo {"action":"echo","n":2}')) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(text()).toMatch(/^HTTP\/1\.1 101 /);
    expect(text()).toContain('echo {"action":"echo","n":1}');
    socket.destroy();
  });

  it("refuses new connections over the rate with 429, counted across every socket process", async () => {
    // The fake clock never refills the bucket: 4 connections in all, whatever holds them.
    const t = await start({ routes: echoRoutes, limits: { connectionsPerSecond: 4 } });
    for (let index = 0; index < 4; index++) await t.connect();
    await expect(t.connect()).rejects.toThrow("Unexpected server response: 429");
    expect(t.gateway.connections()).toHaveLength(4);
  });

  it("stop() closes every socket with 1001, runs each $disconnect and leaves no holder process", async () => {
    const t = await start({ routes: echoRoutes });
    const clients = [t.connect(), t.connect(), t.connect()];
    await Promise.all(clients);
    const pids = t.gateway.socketProcessIds();
    await t.gateway.stop();
    for (const client of clients) expect((await client.closed).code).toBe(1001);
    expect(t.recorder.of("$disconnect").map((event) => event.requestContext.disconnectStatusCode)).toEqual([1001, 1001, 1001]);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
  });
});

describe("socket holder processes", () => {
  it("hold the accepted sockets: the front keeps none of their descriptors", async () => {
    const t = (current = await startTestGateway({ routes: echoRoutes, socketProcesses: 2 }));
    const descriptorsBefore = readdirSync("/proc/self/fd").length;
    const clients = Array.from({ length: 300 }, () => t.connect());
    await Promise.all(clients);
    // This process holds the 300 client ends; the server ends add (next to) nothing.
    expect(readdirSync("/proc/self/fd").length - descriptorsBefore - 300).toBeLessThan(30);
    // The namespace's table may list others' sockets with that local port too: count only where ours are.
    const accepted = acceptedSocketInodes(t.gateway.port);
    expect(socketsHeldBy(process.pid, accepted)).toBe(0);
    const [first, second] = t.gateway.socketProcessIds().map((pid) => socketsHeldBy(pid, accepted));
    expect(first! + second!).toBe(300);
    // Least-loaded placement: an even split.
    expect(Math.abs(first! - second!)).toBeLessThanOrEqual(1);
  });

  it("keep the sockets in this process with one (the default)", async () => {
    const t = (current = await startTestGateway({ routes: echoRoutes }));
    await Promise.all(Array.from({ length: 50 }, () => t.connect()));
    const accepted = acceptedSocketInodes(t.gateway.port);
    expect(socketsHeldBy(process.pid, accepted)).toBe(50);
  });

  it("a holder that dies takes only its connections: their $disconnect runs with 1006 and the gateway keeps serving", async () => {
    const t = (current = await startTestGateway({ routes: echoRoutes, socketProcesses: 2 }));
    const clients = [t.connect(), t.connect()];
    await Promise.all(clients);
    const [victim] = t.gateway.socketProcessIds();
    process.kill(victim!, "SIGKILL");
    // One client per holder: the victim's sees its socket cut.
    const closed = await Promise.race(clients.map((client) => client.closed));
    expect(closed.code).toBe(1006);
    const event = await t.recorder.waitFor("$disconnect");
    expect(event.requestContext).toMatchObject({ disconnectStatusCode: 1006, disconnectReason: "Connection closed abnormally" });
    expect(t.logs.lines.some((line) => /socket holder process \d+ exited .*restart the local cloud/.test(line.message))).toBe(true);
    expect(t.gateway.connections()).toHaveLength(1);
    expect(t.gateway.socketProcessIds()).toHaveLength(1);
    const another = t.connect();
    await another;
    const id = t.gateway.connections().at(-1)!.connectionId;
    await t.management.send(new PostToConnectionCommand({ ConnectionId: id, Data: "still here" }));
    expect(await another.nextMessage()).toBe("still here");
  });
  it("exit when the front dies without stopping them (SIGKILL): their IPC channel closed", async () => {
    const front = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "fixtures", "killed-front.ts")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: front.stdout! }).once("line", resolve);
      front.once("exit", (code) => reject(new Error(`fixture exited early with ${code}`)));
    });
    const { url, holders } = JSON.parse(firstLine) as { url: string; holders: number[] };
    expect(holders).toHaveLength(2);
    // Open sockets in both holders: they would keep a holder's event loop alive.
    const clients = [new WebSocket(url), new WebSocket(url)];
    await Promise.all(clients.map((ws) => new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)))));
    front.kill("SIGKILL");
    for (const pid of holders) await expect.poll(() => isRunning(pid), { timeout: 10_000 }).toBe(false);
    for (const ws of clients) ws.terminate();
  });
});

function handshake(port: number): string {
  return [
    "GET /local HTTP/1.1",
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    "",
    "",
  ].join("\r\n");
}

/** A client's text frame (clients must mask), under 126 bytes. */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = payload.map((byte, index) => byte ^ mask[index % 4]!);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Inodes of the established sockets whose local end is the gateway's port: the accepted ones, wherever they are held. */
function acceptedSocketInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const localPort = Number.parseInt(fields[1]!.split(":")[1]!, 16);
    if (localPort === port && fields[3] === "01") inodes.add(fields[9]!);
  }
  return inodes;
}

/** How many of those sockets a process has a descriptor of. */
function socketsHeldBy(pid: number, inodes: Set<string>): number {
  let held = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode && inodes.has(inode)) held += 1;
    } catch {
      // closed while we looked
    }
  }
  return held;
}

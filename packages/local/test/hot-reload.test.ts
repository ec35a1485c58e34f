/**
 * Hot reload through the whole local cloud (`npm start`'s mode): an edit to a
 * handler reaches the next frame on a socket that stays open, in a new sandbox.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { FunctionDecl, TopologyShape } from "@pushgate/core/topology";
import { repoRoot, startLocalCloud, type LocalCloud } from "../src";
import { echoTopology } from "./fixtures/echo-topology";

// Inside the repository: handler paths in a topology are relative to its root.
const scratch = (() => {
  const parent = join(repoRoot, ".pushgate/test-tmp");
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(join(parent, "hot-reload-"));
})();
const handlerSource = (version: string) =>
  `import { threadId } from "node:worker_threads";\nexport const reply = async () => ({ statusCode: 200, body: JSON.stringify({ version: "${version}", threadId }) });\n`;

let cloud: LocalCloud | undefined;
afterAll(async () => {
  await cloud?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("the local cloud with hotReload", () => {
  it("runs the edited handler on the next frame, in a new sandbox, without dropping the socket", async () => {
    writeFileSync(join(scratch, "reply.ts"), handlerSource("v1"));
    const fn: FunctionDecl = { handler: `${relative(repoRoot, scratch)}/reply.reply`, timeoutSeconds: 5, memoryMB: 128, grants: {} };
    const topology: TopologyShape = {
      ...echoTopology,
      websocket: { ...echoTopology.websocket, routes: { ...echoTopology.websocket.routes, echo: { function: fn, routeResponse: true } } },
      consumers: {},
    };
    const reloads: string[] = [];
    let reloaded: (() => void) | undefined;
    cloud = await startLocalCloud({
      topology,
      stage: "hot",
      hotReload: true,
      stateDir: join(scratch, "state"),
      onReload: (name) => {
        reloads.push(name);
        reloaded?.();
      },
    });

    const socket = new WebSocket(cloud.endpoints.websocketUrl);
    const closes: number[] = [];
    socket.on("close", (code) => closes.push(code));
    await new Promise((resolve, reject) => (socket.once("open", resolve), socket.once("error", reject)));
    const ask = () =>
      new Promise<{ version: string; threadId: number }>((resolve) => {
        socket.once("message", (data) => resolve(JSON.parse(String(data))));
        socket.send(JSON.stringify({ action: "echo" }));
      });

    const before = await ask();
    expect(before.version).toBe("v1");
    const nextReload = new Promise<void>((resolve) => (reloaded = resolve));
    writeFileSync(join(scratch, "reply.ts"), handlerSource("v2"));
    await nextReload;
    // An editor's save can arrive as several events; poll until the last build is in.
    await expect.poll(async () => (await ask()).version, { timeout: 15_000 }).toBe("v2");
    const after = await ask();
    expect(after.threadId).not.toBe(before.threadId);
    expect(closes).toEqual([]);
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
  });
});

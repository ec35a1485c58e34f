/**
 * The local cloud with its gateway's sockets in two holder processes
 * (`gatewayProcesses`, the big-game bench's setting): fans on both holders
 * subscribe through the front's routes and receive a publication pushed
 * through the front's @connections, and stop() leaves no holder behind.
 */
import type { MessageFrame, SessionResponse } from "@pushgate/core/protocol";
import { startLocalCloud, type LocalCloud } from "@pushgate/local";
import { afterAll, beforeAll, expect, it } from "vitest";
import { callHttpApi } from "./clients";
import { connectFan, isMessage, type Fan } from "./fan";

/** Each function cold-starts in its own sandbox; on a busy shared machine that takes a while. */
const SLOW = 90_000;
let cloud: LocalCloud;
const fans: Fan[] = [];

beforeAll(async () => {
  cloud = await startLocalCloud({ gatewayProcesses: 2, environment: { POWERTOOLS_LOG_LEVEL: "SILENT" } });
});

afterAll(async () => {
  await Promise.all(fans.map((fan) => fan.close()));
  await cloud?.stop();
});

it(
  "fans held by two socket processes subscribe and receive a publication; stop() leaves no holder running",
  async () => {
    const holders = cloud.gatewayProcessIds();
    expect(holders).toHaveLength(2);
    for (let index = 0; index < 2; index++) {
      const { token } = (await callHttpApi(cloud, "POST", "/session", { body: {} })).body as SessionResponse;
      const fan = await connectFan(cloud.endpoints.websocketUrl, token);
      fans.push(fan);
      expect(await fan.request({ action: "subscribe", id: `s${index}`, topics: ["game/split-g1"] })).toMatchObject({
        type: "subscribed",
        topics: [{ topic: "game/split-g1" }],
      });
    }
    const score = { home: 7, away: 3, period: "Q2", clock: "08:41", lastPlay: "Touchdown" };
    expect((await callHttpApi(cloud, "POST", "/games/split-g1/score", { body: score, operator: true })).status).toBe(200);
    // Matched by kind: a watching count may be pushed on the topic first.
    for (const fan of fans)
      expect(
        (await fan.next((frame): frame is MessageFrame => isMessage("game/split-g1")(frame) && frame.kind === "score-update")).data,
      ).toEqual(score);

    await Promise.all(fans.map((fan) => fan.close()));
    await cloud.stop();
    for (const pid of holders) expect(() => process.kill(pid, 0)).toThrow();
  },
  SLOW,
);

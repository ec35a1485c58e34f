/**
 * The canary (issue 14) against the local cloud: the scheduled function as
 * its EventBridge rule runs it, through the real gateway, stream and S3
 * emulators; the same run with the games consumer left out of the topology
 * (the fan-out broken on purpose) must report failure; the metrics it emits;
 * and fans cannot follow its topic.
 */
import type { SessionResponse } from "@pushgate/core/protocol";
import { topology, type TopologyShape } from "@pushgate/core/topology";
import type { CanaryReport } from "@pushgate/core/usecases/canary";
import { startLocalCloud, type LocalCloud } from "@pushgate/local";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { captureOutput, until } from "./capture";
import { connectFan } from "./fan";

// Metrics on (the local cloud turns them off by default): the test reads the EMF lines the sandboxes print.
const environment = { POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "false" };
const output = captureOutput({ quiet: true });
// Each canary run waits on cold sandboxes (a bundle and a worker each) on a shared 2-core machine.
vi.setConfig({ testTimeout: 90_000 });
afterAll(() => output.stop());

/** The EMF documents (Powertools Metrics' JSON lines) in some output. */
function emitted(text: string): Record<string, any>[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, any>);
}
const afterMark = () => output.text().slice(output.text().lastIndexOf("-- mark --"));

describe("the canary on a healthy local cloud", () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    // 30 s per step: room for the cold starts (a bundle and a sandbox each) while the whole suite loads 2 cores; a healthy run needs far less.
    cloud = await startLocalCloud({ environment: { ...environment, PUSHGATE_CANARY_TIMEOUT_MS: "30000" } });
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it("runs as its schedule does and reports a publish-to-receive latency", async () => {
    const report = (await cloud.runSchedule("canary")) as CanaryReport;
    expect(report, JSON.stringify(report)).toMatchObject({ ok: true, topic: "game/_canary", seq: expect.any(Number) });
    if (!report.ok) return;
    expect(report.latencyMs).toBeGreaterThanOrEqual(0);
    expect(report.snapshotMs).toBeGreaterThanOrEqual(report.latencyMs);
    // A second run proves the next seq, not a leftover frame.
    const again = (await cloud.runSchedule("canary")) as CanaryReport;
    expect(again).toMatchObject({ ok: true, seq: report.seq + 1 });
    // What npm start's live status reads: each run's publication, and its push handed to the canary's socket.
    // A record counts once its fan-out invocation returns, which can be after the canary saw the push.
    await cloud.drained();
    expect(cloud.counters().publications).toBeGreaterThanOrEqual(2);
    expect(cloud.counters().deliveries).toBeGreaterThanOrEqual(2);
  });

  it("emits CanarySuccess 1 and CanaryLatencyMs as EMF, as on AWS", async () => {
    output.add("-- mark --");
    const report = (await cloud.runSchedule("canary")) as CanaryReport;
    expect(report, JSON.stringify(report)).toMatchObject({ ok: true });
    await until(() => emitted(afterMark()).some((line) => "CanaryLatencyMs" in line), "the canary's EMF line");
    const line = emitted(afterMark()).find((entry) => "CanarySuccess" in entry)!;
    expect(line).toMatchObject({ CanarySuccess: 1, CanaryLatencyMs: expect.any(Number) });
    expect(line._aws.CloudWatchMetrics[0].Namespace).toBe("pushgate");
    // Its socket's $disconnect counts it closed: opened minus closed is what is open.
    await until(() => emitted(afterMark()).some((entry) => "ConnectionsClosed" in entry), "ConnectionsClosed of the canary's socket");
  });

  it("the fan-out's metrics carry the topic kind as a dimension, never the topic id", async () => {
    output.add("-- mark --");
    expect(((await cloud.runSchedule("canary")) as CanaryReport).ok).toBe(true);
    await until(() => emitted(afterMark()).some((line) => "FanoutDurationMs" in line), "the fan-out's EMF line");
    const fanout = emitted(afterMark()).filter((line) =>
      ["Publications", "MessagesPushed", "GoneConnections", "SlowReaders", "PushFailures", "FanoutDurationMs"].some((name) => name in line),
    );
    expect(fanout.length).toBeGreaterThanOrEqual(6);
    for (const line of fanout) {
      expect(line._aws.CloudWatchMetrics[0].Dimensions).toEqual([["service", "topicKind"]]);
      expect(line.topicKind).toBe("game");
      expect(JSON.stringify(line)).not.toContain("_canary");
    }
    expect(fanout.find((line) => "MessagesPushed" in line)!.MessagesPushed).toBe(1);
  });

  it("refuses fans its topic, on the socket and through GET /snapshots", async () => {
    const session = (await (await fetch(`${cloud.endpoints.httpApiUrl}/session`, { method: "POST" })).json()) as SessionResponse;
    const fan = await connectFan(cloud.endpoints.websocketUrl, session.token);
    try {
      const answer = await fan.request({ action: "subscribe", id: "s1", topics: ["game/_canary"] });
      // Refused per topic (protocol v1's `refused`), as any forbidden topic is.
      expect(answer).toMatchObject({
        type: "subscribed",
        id: "s1",
        topics: [],
        refused: [{ topic: "game/_canary", code: "FORBIDDEN", message: expect.stringContaining("canary") }],
      });
    } finally {
      await fan.close();
    }
    const snapshots = await fetch(`${cloud.endpoints.httpApiUrl}/snapshots?topics=game/_canary`, {
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(snapshots.status).toBe(200);
    expect(await snapshots.json()).toMatchObject({ snapshots: [], refused: [{ topic: "game/_canary", code: "FORBIDDEN" }] });
  });
});

describe("the canary when the fan-out is broken", () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    // The games consumer left out: writes land in the table and nothing pushes them.
    const { gamesFanout: _off, ...consumers } = topology.consumers;
    const broken = { ...(topology as unknown as TopologyShape), consumers };
    // Nothing will come: a shorter wait keeps the test short, still room for the sockets' cold starts.
    cloud = await startLocalCloud({ topology: broken, environment: { ...environment, PUSHGATE_CANARY_TIMEOUT_MS: "8000" } });
    // Warm the socket routes' sandboxes, so the runs below fail where the break is, not on a cold start.
    const session = (await (await fetch(`${cloud.endpoints.httpApiUrl}/session`, { method: "POST" })).json()) as SessionResponse;
    const fan = await connectFan(cloud.endpoints.websocketUrl, session.token);
    await fan.request({ action: "subscribe", id: "warm", topics: ["game/warm"] });
    await fan.close();
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it("reports failure at the receive step within two runs, and CanarySuccess 0", async () => {
    output.add("-- mark --");
    const runs = [(await cloud.runSchedule("canary")) as CanaryReport, (await cloud.runSchedule("canary")) as CanaryReport];
    for (const report of runs) {
      expect(report, JSON.stringify(report)).toMatchObject({ ok: false, step: "receive", reason: expect.stringMatching(/gamesFanout/) });
    }
    await until(() => emitted(afterMark()).filter((line) => "CanarySuccess" in line).length >= 2, "two EMF lines of the canary");
    const lines = emitted(afterMark()).filter((line) => "CanarySuccess" in line);
    // What the alarm reads: a 0 per failed run (not missing data), and no latency for a run that saw nothing.
    expect(lines.map((line) => line.CanarySuccess)).toEqual([0, 0]);
    expect(lines.some((line) => "CanaryLatencyMs" in line)).toBe(false);
  });
});

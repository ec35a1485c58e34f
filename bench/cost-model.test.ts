import { describe, expect, it } from "vitest";
import {
  billedMessages,
  broadcast,
  DEFAULT_BROADCAST,
  canaryBill,
  DEFAULT_CANARY,
  DEFAULT_ASSUMPTIONS,
  DEFAULT_PRICES,
  DEFAULT_QUOTAS,
  DEFAULT_OCCUPANCY,
  DEFAULT_WORKLOAD,
  occupancyBill,
  occupancyPushes,
  pingCost,
  pingsPerFan,
  pollingBill,
  pushBill,
  quotaArithmetic,
  websocketMessageCost,
  type Workload,
} from "./cost-model";

const line = (bill: ReturnType<typeof pushBill>, prefix: string) => bill.lines.find((entry) => entry.item.startsWith(prefix))!;
const small: Workload = { ...DEFAULT_WORKLOAD, fans: 1000, hours: 1, updates: 10, pollIntervalSeconds: 5, eventsPerMonth: 1 };

describe("cost model", () => {
  it("bills WebSocket messages per started 32 KB", () => {
    expect(billedMessages(10, 200)).toBe(10);
    expect(billedMessages(10, 32 * 1024)).toBe(10);
    expect(billedMessages(10, 32 * 1024 + 1)).toBe(20);
  });

  it("applies the message tier above one billion", () => {
    expect(websocketMessageCost(1e9, DEFAULT_PRICES)).toBeCloseTo(1000, 6);
    expect(websocketMessageCost(1.5e9, DEFAULT_PRICES)).toBeCloseTo(1000 + 400, 6);
  });

  it("counts connection minutes and pushes from the workload", () => {
    const bill = pushBill(small, DEFAULT_PRICES, DEFAULT_ASSUMPTIONS);
    expect(line(bill, "WebSocket connection minutes").quantity).toBe(1000 * 60);
    // 10 pushes + ack + subscribe + 61 pings + 61 pongs per fan (see the pings test below).
    expect(line(bill, "WebSocket messages").quantity).toBe(1000 * (10 + 2 + 122));
    expect(line(bill, "WebSocket messages").cost).toBeCloseTo((134_000 / 1e6) * 1.0, 9);
    // Each ping also updates its connection's frame-rate token: 5 writes per fan, one per ping, one per update.
    expect(line(bill, "DynamoDB writes").quantity).toBe(1000 * (5 + 61) + 10);
    // Fan-out: 1000 fans x 10 updates at 1,100 posts/s, 0.5 GB.
    const fanoutGbSeconds = ((1000 * 10) / 1100) * 0.5;
    // $connect, subscribe, $disconnect and the pings; 3 sessions; the first connect's GET /snapshots; the score route.
    const shortInvocations = 1000 * (3 + 61) + 1000 * 3 + 1000 + 10;
    expect(line(bill, "HTTP API requests").quantity).toBe(1000 * 3 + 1000 + 10);
    expect(line(bill, "Lambda compute").quantity).toBeCloseTo(fanoutGbSeconds + shortInvocations * 0.02 * 0.5, 6);
    expect(bill.total).toBeCloseTo(
      bill.lines.reduce((total, entry) => total + entry.cost, 0),
      9,
    );
  });

  it("counts the pings of honest liveness: a visible page pings after 30 s of silence, a hidden one every 5 minutes", () => {
    // 1 h with 10 updates: 11 silences of ~327 s, 10 pings each while visible; 12 keep-alives while hidden; half and half.
    expect(pingsPerFan(small, DEFAULT_ASSUMPTIONS)).toBe(0.5 * 110 + 0.5 * 12);
    // A push every 10 s leaves no 30 s silence: only the keep-alive goes out, visible or not.
    expect(pingsPerFan({ ...small, updates: 359 }, DEFAULT_ASSUMPTIONS)).toBe(12);
    expect(pingsPerFan(small, { ...DEFAULT_ASSUMPTIONS, visibleShare: 0 })).toBe(12);
    // In a silence every visible page pings every 30 s: 100,000 fans, half visible, against the stage throttle.
    const quota = quotaArithmetic(DEFAULT_WORKLOAD, DEFAULT_ASSUMPTIONS, DEFAULT_QUOTAS);
    expect(quota.pingsPerSecondInSilence).toBeCloseTo(50_000 / 30 + 50_000 / 300, 9);
    expect(quota.pingsFitWebsocketThrottle).toBe(true);
    expect(quotaArithmetic(DEFAULT_WORKLOAD, { ...DEFAULT_ASSUMPTIONS, visibleShare: 1 }, DEFAULT_QUOTAS).pingsFitWebsocketThrottle).toBe(
      false,
    );
  });

  it("prices the pings on their own: a message each way, a Lambda invocation and the frame-rate write per ping", () => {
    const cost = pingCost(small, DEFAULT_PRICES, DEFAULT_ASSUMPTIONS);
    expect(cost.pingsPerFanPerEvent).toBe(61);
    expect(cost.pingsPerMonth).toBe(61_000);
    expect(cost.lines.map((entry) => [entry.item, entry.quantity])).toEqual([
      ["WebSocket messages (pings in, pongs out)", 122_000],
      ["Lambda requests (the ping route)", 61_000],
      ["Lambda compute (the ping route)", 61_000 * 0.02 * 0.5],
      ["DynamoDB writes (the frame-rate token)", 61_000],
    ]);
    const perPing = 2 * 1.0 + 0.2 + 0.02 * 0.5 * 0.0000133334 * 1e6 + 0.625; // $ per million pings
    expect(cost.total).toBeCloseTo((61_000 / 1e6) * perPing, 9);
    expect(cost.shareOfPushBill).toBeCloseTo(cost.total / pushBill(small, DEFAULT_PRICES, DEFAULT_ASSUMPTIONS).total, 12);
    // The example: pings are about half the push bill; the write is a quarter of what a ping costs.
    const example = pingCost(DEFAULT_WORKLOAD, DEFAULT_PRICES, DEFAULT_ASSUMPTIONS);
    expect(example.pingsPerMonth).toBe(168.5 * 100_000 * 30);
    expect(example.total).toBeCloseTo(1312.04, 2);
    expect(example.shareOfPushBill).toBeGreaterThan(0.5);
    const writes = example.lines.find((entry) => entry.item.startsWith("DynamoDB writes"))!;
    expect(writes.cost / example.total).toBeCloseTo(0.24, 2);
  });

  it("counts the pings that meet the stage throttle when visible pages ping in step, 30 s after the same push", () => {
    // A push every ~36 s, delivered at the 8,000/s push budget: 50,000 visible pages ping at 4,000/s for 12.5 s.
    const quota = quotaArithmetic(DEFAULT_WORKLOAD, DEFAULT_ASSUMPTIONS, DEFAULT_QUOTAS);
    expect(quota.pingsPerSecondAfterPush).toBe(4_000);
    // The stage passes 2,000/s over those 12.5 s plus its burst of 2,000.
    expect(quota.pingsThrottledAfterPush).toBe(50_000 - 2_000 * 12.5 - 2_000);
    // A push every 10 s: no page is silent for 30 s, so nobody pings in step.
    expect(quotaArithmetic({ ...DEFAULT_WORKLOAD, updates: 1_079 }, DEFAULT_ASSUMPTIONS, DEFAULT_QUOTAS).pingsPerSecondAfterPush).toBe(0);
    // 1,000 fans: the wave fits the burst.
    expect(quotaArithmetic(small, DEFAULT_ASSUMPTIONS, DEFAULT_QUOTAS).pingsThrottledAfterPush).toBe(0);
  });

  it("counts one S3 GET per poll and a body at most once per update", () => {
    const bill = pollingBill(small, DEFAULT_PRICES, DEFAULT_ASSUMPTIONS);
    expect(line(bill, "S3 GET (polls").quantity).toBe(1000 * 720);
    expect(line(bill, "S3 GET (polls").cost).toBeCloseTo((720_000 / 1000) * 0.0004, 9);
    const bytes = 1000 * (720 * 300 + 11 * 200);
    expect(line(bill, "Data transfer out").quantity).toBeCloseTo(bytes / 1024 ** 3, 12);
  });

  it("moves polls to CloudFront when asked", () => {
    const bill = pollingBill({ ...small, cloudFront: true }, DEFAULT_PRICES, DEFAULT_ASSUMPTIONS);
    expect(line(bill, "CloudFront requests").quantity).toBe(720_000);
    expect(line(bill, "S3 GET (CloudFront origin").quantity).toBe(20 * 720);
    expect(bill.lines.some((entry) => entry.item.startsWith("S3 GET (polls"))).toBe(false);
  });

  it("does the quota arithmetic of the issue's example", () => {
    const quota = quotaArithmetic(DEFAULT_WORKLOAD, DEFAULT_ASSUMPTIONS, DEFAULT_QUOTAS);
    expect(quota.broadcastSecondsAtAccountRate).toBe(10);
    expect(quota.reconnectStormSeconds).toBe(200);
    expect(quota.pollGetsPerSecond).toBe(20_000);
    expect(quota.pollFitsS3PrefixRate).toBe(false);
    expect(quota.broadcastSecondsPerInvocation).toBeCloseTo(100_000 / 1100, 9);
    expect(quota.fanoutFitsTimeout).toBe(false);
    expect(quota.invocationsNeededForTimeout).toBe(2);
  });

  it("prices the canary: a run a minute, a few cents of requests, most of it CloudWatch", () => {
    const canary = canaryBill(DEFAULT_PRICES, DEFAULT_ASSUMPTIONS);
    expect(DEFAULT_CANARY.runsPerMonth).toBe(43_200);
    expect(line(canary, "WebSocket messages").quantity).toBe(3 * 43_200);
    expect(line(canary, "DynamoDB writes").cost).toBeCloseTo(((7 * 43_200) / 1e6) * 0.625, 9);
    expect(line(canary, "CloudWatch dashboard").cost).toBe(3);
    expect(canary.total).toBeGreaterThan(3.8);
    expect(canary.total).toBeLessThan(5);
  });
});

describe("a big game's broadcast", () => {
  const plan = { ...DEFAULT_BROADCAST, fans: 100_000 };
  const raised = { budgetPerSecond: 40_000, workers: 16 };
  const raisedQuota = { accountRequestsPerSecond: 50_000 };

  it("is bound by the push budget: 100,000 fans in 64 tasks, 8 waves of 8 workers at 1,000 posts/s, in 13.3 s", () => {
    expect(plan.shards).toBe(64);
    const result = broadcast(plan, DEFAULT_PRICES, DEFAULT_QUOTAS);
    expect(result.workerRate).toBe(1_000);
    expect(result.waves).toBe(8);
    // 1,562.5 fans a task: 1.5625 s of posts and a 0.1 s hop, eight tasks in turn on each worker.
    expect(result.secondsToLastFan).toBeCloseTo(8 * (1.5625 + 0.1), 9);
    expect(result.invocations).toBe(64);
    expect(result.gbSeconds).toBeCloseTo(64 * 1.6625 * 0.5, 9);
    expect(result.bindingLimit).toMatch(/^budget/);
  });

  it("at 1,000,000 fans takes 126 s: 64 tasks of 15,625, each within one invocation (8 shards needed 3 invocations a task)", () => {
    const result = broadcast({ ...plan, fans: 1_000_000 }, DEFAULT_PRICES, DEFAULT_QUOTAS);
    expect(result.secondsToLastFan).toBeCloseTo(8 * (15.625 + 0.1), 9);
    expect(result.invocations).toBe(64);
    expect(result.messagesCost).toBeCloseTo(1.0, 9);
    const eight = broadcast({ ...plan, fans: 1_000_000, shards: 8 }, DEFAULT_PRICES, DEFAULT_QUOTAS);
    expect(eight.invocations).toBe(24);
  });

  it("with a raised quota, 64 shards keep 16 workers busy: 1,000,000 fans in 25.4 s, where 8 shards leave half idle and take 50.1 s", () => {
    const wide = broadcast({ ...plan, ...raised, fans: 1_000_000 }, DEFAULT_PRICES, raisedQuota);
    expect(wide.workerRate).toBe(2_500);
    expect(wide.secondsToLastFan).toBeCloseTo(4 * (15.625 / 2.5 + 0.1), 9);
    expect(wide.bindingLimit).toMatch(/^budget/);
    const narrow = broadcast({ ...plan, ...raised, fans: 1_000_000, shards: 8 }, DEFAULT_PRICES, raisedQuota);
    expect(narrow.secondsToLastFan).toBeCloseTo(50.1, 9);
    expect(narrow.bindingLimit).toMatch(/^shards/);
    expect(broadcast({ ...plan, ...raised }, DEFAULT_PRICES, raisedQuota).secondsToLastFan).toBeCloseTo(4 * (0.625 + 0.1), 9);
  });

  it("a small game pays one strongly consistent read unit per shard and publication: 64 for 100 fans, where one Query of 8 shards would be 8", () => {
    const bill = pushBill({ ...DEFAULT_WORKLOAD, fans: 100 }, DEFAULT_PRICES, DEFAULT_ASSUMPTIONS);
    const { updates, eventsPerMonth } = DEFAULT_WORKLOAD;
    expect(line(bill, "DynamoDB reads (subscriber Query)").quantity).toBe((100 + updates * 64) * eventsPerMonth);
  });

  it("is bound by the workers when one invocation cannot post its share, and refuses a budget above the account quota", () => {
    const slow = broadcast({ ...plan, invocationPostsPerSecond: 500 }, DEFAULT_PRICES, DEFAULT_QUOTAS);
    expect(slow.workerRate).toBe(500);
    expect(slow.bindingLimit).toMatch(/^workers/);
    expect(() => broadcast({ ...plan, budgetPerSecond: 20_000 }, DEFAULT_PRICES, DEFAULT_QUOTAS)).toThrow(/raise the quota first/);
  });
});

describe("occupancy: the watching count's pushes", () => {
  it("costs a 100,000-fan game 2.4 M messages, 8% of its score pushes, bounded by 1,000 messages/s whatever the churn", () => {
    const pushes = occupancyPushes(DEFAULT_WORKLOAD);
    // The two 20-minute ramps, pushed at each interval; the steady part is carried by the score updates (one per 36 s, interval 100 s).
    expect(pushes.messages).toBe(2_446_302);
    expect(pushes.shareOfScorePushes).toBeCloseTo(0.0815, 3);
    expect(pushes.worstCaseMessages).toBe(1_000 * 3 * 3600);
    const bill = occupancyBill(DEFAULT_WORKLOAD, DEFAULT_PRICES, DEFAULT_ASSUMPTIONS);
    expect(line(bill, "WebSocket messages (count pushes)").cost).toBeCloseTo((2_446_302 * 30) / 1e6, 6);
    expect(bill.total).toBeLessThan(pushBill(DEFAULT_WORKLOAD, DEFAULT_PRICES, DEFAULT_ASSUMPTIONS).total * 0.05);
  });

  it("pushes a steady count's changes itself only when no score update carries them", () => {
    const carried = occupancyPushes(DEFAULT_WORKLOAD);
    const alone = occupancyPushes(DEFAULT_WORKLOAD, { ...DEFAULT_OCCUPANCY, carriedByUpdates: false });
    // 140 steady minutes, a change every 5 minutes (the 100 s interval is shorter): 28 heartbeats to 100,000 fans.
    expect(alone.messages - carried.messages).toBe(28 * 100_000);
    const quiet = occupancyPushes({ ...DEFAULT_WORKLOAD, updates: 10 });
    expect(quiet.messages - carried.messages).toBe(28 * 100_000);
  });

  it("is a large share of a small game's pushes (its interval is 5 s) but a small bill, and a shrinking share of a huge one", () => {
    const small = occupancyPushes({ ...DEFAULT_WORKLOAD, fans: 1_000 });
    expect(small.shareOfScorePushes).toBeGreaterThan(0.8);
    expect(occupancyBill({ ...DEFAULT_WORKLOAD, fans: 1_000 }, DEFAULT_PRICES, DEFAULT_ASSUMPTIONS).total).toBeLessThan(10);
    expect(occupancyPushes({ ...DEFAULT_WORKLOAD, fans: 1_000_000 }).shareOfScorePushes).toBeLessThan(0.02);
  });
});

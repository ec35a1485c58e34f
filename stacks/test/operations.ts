import { beforeEach, expect, it } from "vitest";
import { topology } from "@pushgate/core/topology";
import type { Synthesized } from "./synth";
import { actionsOf, type Views } from "./templates";

/**
 * The canary and the operations dashboard as deployed (issue 14): the
 * canary's schedule, grants and environment, its two alarms, and a dashboard
 * whose every pushgate series is per stage and per topic kind, never per
 * topic. Registered by stacks.test.ts with the one synthesis.
 */
export function operations(get: () => { synth: Synthesized; view: Views }) {
  let synth: Synthesized;
  let view: Views;
  beforeEach(() => ({ synth, view } = get()));

  const service = "test-pushgate";

  it("runs the canary every minute with only its grants: UpdateItem on games and JWT_SECRET; the WebSocket URL in its environment", () => {
    const [canaryId, canary] = view.functionFor(topology.schedules.canary.function.handler);
    const rules = view
      .resourcesOf("realtime", "AWS::Events::Rule")
      .filter(([, rule]) => view.referencedIds(rule.Properties.Targets).has(canaryId));
    expect(rules.map(([, rule]) => rule.Properties.ScheduleExpression)).toEqual(["rate(1 minute)"]);
    expect(canary.Properties.Environment.Variables.PUSHGATE_WS_URL).toBeDefined();
    const statements = view
      .statementsOf(canaryId)
      .filter((statement) => !actionsOf(statement).every((action) => action.startsWith("xray:")));
    const actions = statements.flatMap(actionsOf).sort();
    expect(actions.some((action) => action.startsWith("execute-api:"))).toBe(false);
    expect(actions.some((action) => action.startsWith("s3:"))).toBe(false);
    expect(actions).toContain("dynamodb:UpdateItem");
    expect(actions).toContain("ssm:GetParameters");
    const tables = new Set(
      statements
        .filter((statement) => actionsOf(statement).some((action) => action.startsWith("dynamodb:")))
        .flatMap((statement) => [...view.referencedIds(statement.Resource)]),
    );
    expect(tables).toEqual(new Set([view.tableId("games")]));
  });

  it("alarms when the canary fails twice in a row (or does not run) and when its p99 over 5 minutes passes 3 s", () => {
    synth.realtime.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "pushgate",
      MetricName: "CanarySuccess",
      Dimensions: [{ Name: "service", Value: service }],
      Statistic: "Minimum",
      Period: 60,
      Threshold: 1,
      ComparisonOperator: "LessThanThreshold",
      EvaluationPeriods: 2,
      TreatMissingData: "breaching",
    });
    synth.realtime.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "pushgate",
      MetricName: "CanaryLatencyMs",
      Dimensions: [{ Name: "service", Value: service }],
      ExtendedStatistic: "p99",
      Period: 300,
      Threshold: 3000,
      ComparisonOperator: "GreaterThanThreshold",
    });
    const canaryAlarms = view
      .resourcesOf("realtime", "AWS::CloudWatch::Alarm")
      .filter(([, alarm]) => String(alarm.Properties.MetricName).startsWith("Canary"));
    for (const [, alarm] of canaryAlarms) expect(view.referencedIds(alarm.Properties.AlarmActions).size).toBe(1);
  });

  it("has one dashboard with every series the issue asks for, per topic kind and never per topic", () => {
    const dashboards = view.resourcesOf("realtime", "AWS::CloudWatch::Dashboard");
    expect(dashboards).toHaveLength(1);
    const [, dashboard] = dashboards[0]!;
    expect(dashboard.Properties.DashboardName).toBe("test-pushgate-operations");
    const body = JSON.parse(view.render(dashboard.Properties.DashboardBody).replace(/\{[A-Za-z0-9]+\}/g, "ID")) as {
      widgets: { properties: { metrics?: unknown[][] } }[];
    };
    const series = body.widgets
      .flatMap((widget) => widget.properties.metrics ?? [])
      .map((row) => row.filter((cell) => typeof cell === "string") as string[]);
    const ours = series.filter((row) => row[0] === "pushgate");
    const names = new Set(ours.map((row) => row[1]));
    for (const name of [
      "CanarySuccess",
      "CanaryLatencyMs",
      "Publications",
      "MessagesPushed",
      "FanoutDurationMs",
      "GoneConnections",
      "SlowReaders",
      "PushFailures",
      "BreakerOpens",
      "ConnectionsOpened",
      "ConnectionsClosed",
    ]) {
      expect(names, name).toContain(name);
    }
    for (const row of ours) {
      const dimensions = Object.fromEntries(
        row.slice(2).flatMap((cell, index, cells) => (index % 2 === 0 ? [[cell, cells[index + 1]!] as [string, string]] : [])),
      );
      expect(dimensions.service).toBe(service);
      expect(Object.keys(dimensions).every((key) => key === "service" || key === "topicKind")).toBe(true);
      if ("topicKind" in dimensions) expect(["game", "games", "queue", "job"]).toContain(dimensions.topicKind);
    }
    const fanout = ours.filter((row) => row[1] === "FanoutDurationMs").map((row) => row[row.indexOf("topicKind") + 1]);
    expect(new Set(fanout)).toEqual(new Set(["game", "games", "queue", "job"]));
    const services = new Set(series.map((row) => `${row[0]} ${row[1]}`));
    for (const metric of [
      "AWS/Lambda IteratorAge",
      "AWS/SQS ApproximateNumberOfMessagesVisible",
      "AWS/Lambda Errors",
      "AWS/Lambda Throttles",
    ])
      expect(services).toContain(metric);
  });
}

import { Duration } from "aws-cdk-lib/core";
import { Dashboard, GraphWidget, TextWidget, type IMetric } from "aws-cdk-lib/aws-cloudwatch";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
// biome-ignore lint/suspicious/noShadowRestrictedNames: SST names its Lambda construct Function; this file never needs the global.
import type { Function, Stack } from "sst/constructs";
import { KIND_OF_TOPIC_TYPE, type TopicType } from "@pushgate/core/wire";
import { pushgateMetric } from "./alarms";

/**
 * The one place to look during a game (issue 14): the canary, publications
 * and deliveries, fan-out duration by topic kind, what the fan-out could not
 * deliver, connections, the stream consumers' lag and dead letters, and every
 * function's errors and throttles. Series are per topic kind (game, queue,
 * job), never per topic: the metrics carry no topic id.
 */
export interface DashboardInputs {
  name: string;
  identity: { namespace: string; service: string };
  /** Every function, by the id its alarms use. */
  functions: Record<string, Function>;
  consumers: Record<string, { fn: Function; deadLetters: IQueue }>;
}

const minute = Duration.minutes(1);
const topicKinds = Object.keys(KIND_OF_TOPIC_TYPE) as TopicType[];

export function operationsDashboard(stack: Stack, inputs: DashboardInputs): Dashboard {
  const metric = (name: string, statistic: string, topicKind?: TopicType, label?: string) =>
    pushgateMetric(inputs.identity, name, statistic, minute, topicKind).with({
      label: label ?? (topicKind ? `${name} ${topicKind}` : name),
    });
  const perKind = (name: string, statistic: string) => topicKinds.map((kind) => metric(name, statistic, kind, `${kind} ${statistic}`));
  const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = 8) =>
    new GraphWidget({ title, left, right, width, height: 6 });
  const functions = Object.entries(inputs.functions);
  const consumers = Object.entries(inputs.consumers);

  const dashboard = new Dashboard(stack, "OperationsDashboard", { dashboardName: inputs.name, defaultInterval: Duration.hours(3) });
  dashboard.addWidgets(
    new TextWidget({
      markdown: `# pushgate ${inputs.identity.service}\nThe canary proves push end to end every minute (docs/deploy.md, "Operating it"). Series are per topic kind (game, games: the list, queue, job).`,
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(
    graph("Canary: success (1 ok, 0 failed)", [metric("CanarySuccess", "Minimum")], [], 8),
    graph(
      "Canary: publish-to-receive ms",
      [metric("CanaryLatencyMs", "p50", undefined, "p50"), metric("CanaryLatencyMs", "p99", undefined, "p99")],
      [],
      8,
    ),
    graph("Publications and deliveries per minute", perKind("Publications", "Sum"), perKind("MessagesPushed", "Sum"), 8),
  );
  dashboard.addWidgets(
    graph("Fan-out duration ms, p50 by topic kind", perKind("FanoutDurationMs", "p50")),
    graph("Fan-out duration ms, p99 by topic kind", perKind("FanoutDurationMs", "p99")),
    graph(
      "Not delivered: gone (410), slow readers (429), failures; breaker opens",
      [...perKind("GoneConnections", "Sum"), ...perKind("SlowReaders", "Sum"), ...perKind("PushFailures", "Sum")],
      [metric("BreakerOpens", "Sum")],
    ),
  );
  dashboard.addWidgets(
    graph("Connections opened / closed per minute", [metric("ConnectionsOpened", "Sum"), metric("ConnectionsClosed", "Sum")]),
    graph(
      "Stream iterator age ms (max)",
      consumers.map(([name, { fn }]) => fn.metric("IteratorAge", { period: minute, statistic: "Maximum", label: name })),
    ),
    graph(
      "Dead letters waiting",
      consumers.map(([name, { deadLetters }]) =>
        deadLetters.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: "Maximum", label: name }),
      ),
    ),
  );
  dashboard.addWidgets(
    graph(
      "Lambda errors",
      functions.map(([id, fn]) => fn.metricErrors({ period: minute, statistic: "Sum", label: id })),
      [],
      12,
    ),
    graph(
      "Lambda throttles",
      functions.map(([id, fn]) => fn.metricThrottles({ period: minute, statistic: "Sum", label: id })),
      [],
      12,
    ),
  );
  return dashboard;
}

import { Duration } from "aws-cdk-lib/core";
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { ITopic } from "aws-cdk-lib/aws-sns";
// biome-ignore lint/suspicious/noShadowRestrictedNames: SST names its Lambda construct Function; this file never needs the global.
import type { Function, Stack } from "sst/constructs";

/**
 * A stream consumer this far behind is no longer "live": fans see a score a
 * minute late. Fan-out normally runs well under a second behind.
 */
export const iteratorAgeThreshold = Duration.minutes(1);

const period = Duration.minutes(1);

/**
 * Publish-to-receive of the canary (usecases/canary.ts) this slow at p99 over
 * five minutes: fans see scores late. Warm runs take well under a second; a
 * cold fan-out adds a second or two, so one slow run does not page.
 */
export const canaryLatencyThreshold = Duration.seconds(3);

/** Alarms tell the alerts topic; operators subscribe to it (see docs/deploy.md). */
function alarm(
  stack: Stack,
  id: string,
  metric: IMetric,
  threshold: number,
  description: string,
  topic: ITopic,
  options: { comparison?: ComparisonOperator; evaluationPeriods?: number; missing?: TreatMissingData } = {},
) {
  new Alarm(stack, `${id}Alarm`, {
    metric,
    threshold,
    evaluationPeriods: options.evaluationPeriods ?? 1,
    comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    // No invocations means no errors, not an unknown state.
    treatMissingData: options.missing ?? TreatMissingData.NOT_BREACHING,
    alarmDescription: description,
  }).addAlarmAction(new SnsAction(topic));
}

/** A metric the functions emit (edge.ts, Powertools EMF), as CloudWatch files it: namespace, service per stage, and the topic kind if it has one. */
export function pushgateMetric(
  identity: { namespace: string; service: string },
  name: string,
  statistic: string,
  periodOf = period,
  topicKind?: string,
) {
  return new Metric({
    namespace: identity.namespace,
    metricName: name,
    dimensionsMap: { service: identity.service, ...(topicKind !== undefined && { topicKind }) },
    statistic,
    period: periodOf,
  });
}

/**
 * The canary failing two runs in a row (a 0, or no run at all: missing data
 * breaches, since the canary not running is no proof push works), and its
 * p99 latency over five minutes past the threshold.
 */
export function canaryAlarms(stack: Stack, identity: { namespace: string; service: string }, topic: ITopic) {
  alarm(
    stack,
    "CanaryFailing",
    pushgateMetric(identity, "CanarySuccess", "Minimum"),
    1,
    "canary: a score written did not reach the canary's socket (or its snapshot) twice in a row; its log line names the step and what to check",
    topic,
    { comparison: ComparisonOperator.LESS_THAN_THRESHOLD, evaluationPeriods: 2, missing: TreatMissingData.BREACHING },
  );
  alarm(
    stack,
    "CanaryLatency",
    pushgateMetric(identity, "CanaryLatencyMs", "p99", Duration.minutes(5)),
    canaryLatencyThreshold.toMilliseconds(),
    `canary: publish-to-receive p99 over 5 min is above ${canaryLatencyThreshold.toSeconds()} s; look at fan-out duration and iterator age on the dashboard`,
    topic,
    { comparison: ComparisonOperator.GREATER_THAN_THRESHOLD },
  );
}

/** Any error or throttle of a function is worth a look: handlers map expected failures to protocol errors. */
export function functionAlarms(stack: Stack, id: string, fn: Function, topic: ITopic) {
  alarm(stack, `${id}Errors`, fn.metricErrors({ period, statistic: "Sum" }), 1, `${id}: the function threw or timed out`, topic);
  alarm(
    stack,
    `${id}Throttles`,
    fn.metricThrottles({ period, statistic: "Sum" }),
    1,
    `${id}: invocations throttled (account concurrency?)`,
    topic,
  );
}

/** A consumer falling behind its stream, and records it gave up on. */
export function consumerAlarms(stack: Stack, id: string, fn: Function, deadLetters: IQueue, topic: ITopic) {
  alarm(
    stack,
    `${id}IteratorAge`,
    fn.metric("IteratorAge", { period, statistic: "Maximum" }),
    iteratorAgeThreshold.toMilliseconds(),
    `${id}: stream records wait over ${iteratorAgeThreshold.toMinutes()} min before processing`,
    topic,
  );
  alarm(
    stack,
    `${id}DeadLetters`,
    deadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: "Maximum" }),
    1,
    `${id}: stream records given up on are waiting in the dead-letter queue`,
    topic,
  );
}

/** A queue consumer falling behind (its oldest task waits as long as a stream may lag), and tasks it gave up on. */
export function queueConsumerAlarms(stack: Stack, id: string, queue: IQueue, deadLetters: IQueue, topic: ITopic) {
  alarm(
    stack,
    `${id}OldestMessage`,
    queue.metricApproximateAgeOfOldestMessage({ period, statistic: "Maximum" }),
    iteratorAgeThreshold.toSeconds(),
    `${id}: fan-out tasks wait over ${iteratorAgeThreshold.toMinutes()} min before a worker takes them (raise maxConcurrency or the push budget)`,
    topic,
  );
  alarm(
    stack,
    `${id}DeadLetters`,
    deadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: "Maximum" }),
    1,
    `${id}: fan-out tasks given up on are waiting in the dead-letter queue; redrive them once the cause is fixed`,
    topic,
  );
}

import { Duration } from "aws-cdk-lib/core";
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from "aws-cdk-lib/aws-cloudwatch";
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

/** Alarms tell the alerts topic; operators subscribe to it (see docs/deploy.md). */
function alarm(stack: Stack, id: string, metric: IMetric, threshold: number, description: string, topic: ITopic) {
  new Alarm(stack, `${id}Alarm`, {
    metric,
    threshold,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    // No invocations means no errors, not an unknown state.
    treatMissingData: TreatMissingData.NOT_BREACHING,
    alarmDescription: description,
  }).addAlarmAction(new SnsAction(topic));
}

/** Any error or throttle of a function is worth a look: handlers map expected failures to protocol errors. */
export function functionAlarms(stack: Stack, id: string, fn: Function, topic: ITopic) {
  alarm(stack, `${id}Errors`, fn.metricErrors({ period, statistic: "Sum" }), 1, `${id}: the function threw or timed out`, topic);
  alarm(stack, `${id}Throttles`, fn.metricThrottles({ period, statistic: "Sum" }), 1, `${id}: invocations throttled (account concurrency?)`, topic);
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

import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import type { Clock } from "./clock";

export interface LambdaContextOptions {
  functionName: string;
  memoryMB: number;
  timeoutMs: number;
  clock: Clock;
  region: string;
  accountId: string;
  /** Given by the invoker, which logs it; a new one otherwise. */
  awsRequestId?: string;
  /** When the timeout runs out (init-phase.ts); default: timeoutMs from now. */
  deadline?: number;
}

/**
 * The context object Lambda's Node runtime passes as the second argument.
 * `getRemainingTimeInMillis` counts down from the configured timeout on the
 * injected clock, so handlers that budget their work behave as on AWS.
 */
export function createLambdaContext(options: LambdaContextOptions): Context {
  const { functionName, memoryMB, timeoutMs, clock, region, accountId } = options;
  const deadline = options.deadline ?? clock.now() + timeoutMs;
  const awsRequestId = options.awsRequestId ?? randomUUID();
  const day = new Date(clock.now()).toISOString().slice(0, 10).replace(/-/g, "/");
  const deprecated = (what: string) => () => {
    throw new Error(`context.${what}() is not supported by the local invoker; return a value or throw from an async handler`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(memoryMB),
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${awsRequestId.replace(/-/g, "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - clock.now()),
    done: deprecated("done"),
    fail: deprecated("fail"),
    succeed: deprecated("succeed"),
  };
}

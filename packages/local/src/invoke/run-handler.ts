/**
 * Calling a handler the way Lambda's Node runtime does, in whatever sandbox
 * it runs: an async handler answers with its promise, a callback-style one
 * (three parameters) through the callback, and anything it throws is its
 * error. The timeout is the invoker's business, not this function's.
 */
import type { Context } from "aws-lambda";

export type LambdaCallback = (error?: unknown, result?: unknown) => void;
// biome-ignore lint/suspicious/noExplicitAny: each handler declares its own event type, and a parameter of `unknown` would refuse them all.
export type LambdaHandler = (event: any, context: Context, callback: LambdaCallback) => unknown;

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";

export function runHandler(handler: LambdaHandler, event: unknown, context: Context): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      settle();
    };
    const callback: LambdaCallback = (error, result) =>
      finish(() => (error === undefined || error === null ? resolve(result) : reject(error)));
    let returned: unknown;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      finish(() => reject(error));
      return;
    }
    if (isPromiseLike(returned)) {
      returned.then(
        (result) => finish(() => resolve(result)),
        (error: unknown) => finish(() => reject(error)),
      );
    } else if (handler.length < 3) {
      finish(() => resolve(returned));
    }
  });
}

/**
 * The one logging shape of the local cloud: a function, so the CLI can prefix
 * and colour lines and tests can collect them to assert on.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type Log = (level: LogLevel, message: string) => void;

/** Warnings and errors to stderr, info to stdout, debug dropped. */
export const consoleLog: Log = (level, message) => {
  if (level === "error" || level === "warn") console.error(message);
  else if (level === "info") console.log(message);
};

/** Used when the caller passes no `log`: warnings and errors only. */
export const quietLog: Log = (level, message) => {
  if (level === "warn" || level === "error") console.error(message);
};

/** Message and stack of anything thrown, for a log line. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return typeof error === "string" ? error : JSON.stringify(error);
}

/**
 * The one logging shape the local cloud's emulators share: a function, so the
 * CLI can prefix and colour lines and tests can collect them to assert on.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type Log = (level: LogLevel, message: string) => void;

/** Default: warnings and errors to stderr, info to stdout, debug dropped. */
export const consoleLog: Log = (level, message) => {
  if (level === "error" || level === "warn") console.error(message);
  else if (level === "info") console.log(message);
};

/** Message and stack of anything thrown, for a log line. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return typeof error === "string" ? error : JSON.stringify(error);
}

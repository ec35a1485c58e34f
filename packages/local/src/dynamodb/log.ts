/**
 * The logging shape of the local cloud (the same as `invoke/log.ts`, declared
 * here so this module stands alone): a function, so the CLI can prefix lines
 * and tests can collect them.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type Log = (level: LogLevel, message: string) => void;

/** Used when the caller passes no `log`: warnings and errors only. */
export const quietLog: Log = (level, message) => {
  if (level === "warn" || level === "error") console.error(message);
};

/**
 * What a client sent may reach a log only through `clip`: logs are JSON (the
 * encoder escapes quotes, newlines and control characters), and a value is cut
 * to a bounded length so a client cannot flood or forge log lines.
 */
export const MAX_LOGGED_CHARS = 200;

/** A client-derived value fit for a JSON log field: a string of at most `max` characters (plus a marker). */
export function clip(value: unknown, max = MAX_LOGGED_CHARS): string {
  const text = typeof value === "string" ? value : safeStringify(value);
  if (text.length <= max) return text;
  return `${text.slice(0, max)}…(+${text.length - max} chars)`;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

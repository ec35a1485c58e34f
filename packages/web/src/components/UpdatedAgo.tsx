/**
 * "Updated 12 s ago": the age of a value (from its source write), ticking,
 * instead of a clock time the fan has to compare with their own clock.
 */
import { ageText, useNowForAge } from "../data-age.js";

export function UpdatedAgo({ ts, className, testId }: { ts: string; className?: string; testId?: string }) {
  const at = Date.parse(ts);
  const now = useNowForAge(at);
  return (
    <p className={className} data-testid={testId}>
      Updated <time dateTime={ts}>{ageText(now - at)}</time>
    </p>
  );
}

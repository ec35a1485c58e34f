/**
 * A visually hidden polite live region. Screen readers read its text whenever
 * it changes, so views put a whole sentence here ("12 people ahead of you")
 * instead of making the big visual numbers themselves live (a bare "12" read
 * out of context helps nobody, and a ticking countdown would never stop talking).
 */
export function LiveAnnouncer({ message, testId }: { message: string; testId?: string }) {
  return (
    <p className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid={testId}>
      {message}
    </p>
  );
}

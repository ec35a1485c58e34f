import type { FanMessage } from "../errors.js";

/**
 * A failure told in plain words: what happened, what to do next, and (small)
 * the technical detail to quote to support. role="alert" so it is read at once.
 */
export function ErrorNotice({
  message,
  onRetry,
  retryLabel = "Try again",
  testId = "error-notice",
}: {
  message: FanMessage;
  onRetry?: () => void;
  retryLabel?: string;
  testId?: string;
}) {
  return (
    <div className="notice notice--error" role="alert" data-testid={testId}>
      <p className="notice__title">{message.title}</p>
      <p>{message.next}</p>
      {message.detail && <p className="notice__detail">{message.detail}</p>}
      {onRetry && (
        <button type="button" className="button button--secondary" onClick={onRetry}>
          {retryLabel}
        </button>
      )}
    </div>
  );
}

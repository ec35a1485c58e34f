/**
 * Plain words for every way an action can fail: what happened, and what the
 * fan can do about it. Technical detail stays available (in `detail`) for the
 * support conversation, but is never the headline.
 */
import { ApiError } from "./api.js";

export interface FanMessage {
  /** What happened, in the fan's words. */
  title: string;
  /** What to do next. */
  next: string;
  /** The technical message, shown small, for a support request. */
  detail?: string;
}

export function explainError(error: unknown): FanMessage {
  if (!(error instanceof ApiError)) {
    return {
      title: "Something unexpected went wrong.",
      next: "Reload the page. If it keeps happening, tell us what you were doing.",
      detail: error instanceof Error ? error.message : String(error),
    };
  }
  const detail = `${error.code}: ${error.message}`;
  switch (error.code) {
    case "NETWORK":
      return { title: "We can't reach pushgate right now.", next: "Check your internet connection, then try again.", detail };
    case "RATE_LIMITED":
      return { title: "Lots of fans are doing this at once.", next: "Wait a few seconds, then try again.", detail };
    case "SESSION_FAILED":
      return { title: "We couldn't start your session.", next: "Check your internet connection, then try again.", detail };
    case "UNAUTHORIZED":
    case "HTTP_401":
    case "FORBIDDEN":
      return { title: "Your session isn't allowed to do that.", next: "Reload the page to start a new session, then try again.", detail };
    case "NOT_YET":
      return {
        title: "It isn't quite your turn yet.",
        next: "Keep this page open: it tells you the moment it is, or try again in a few seconds.",
        detail,
      };
    case "NOT_FOUND":
      if (/no queue for event/.test(error.message)) {
        return {
          title: "This sale has no waiting room open yet.",
          next: "Check the link you followed, or come back when the sale is announced.",
          detail,
        };
      }
      return {
        title: "The server didn't accept that request.",
        next: "Reload the page and try again; if it persists, this page may be out of date.",
        detail,
      };
    case "BAD_REQUEST":
    case "INVALID_TOPIC":
      return {
        title: "The server didn't accept that request.",
        next: "Reload the page and try again; if it persists, this page may be out of date.",
        detail,
      };
    case "BAD_RESPONSE":
      return {
        title: "The server sent an answer we couldn't read.",
        next: "Try again in a moment; if it persists, reload the page.",
        detail,
      };
    default:
      return { title: "Something went wrong on our side.", next: "Try again in a moment.", detail };
  }
}

import type { TopicSnapshot } from "@pushgate/client";

/**
 * The server refused a topic (for example FORBIDDEN for someone else's job):
 * say so instead of showing a spinner forever.
 */
export function TopicProblem({ topic, what }: { topic: TopicSnapshot; what: string }) {
  if (!topic.error) return null;
  return (
    <div className="notice notice--error" role="alert" data-testid="topic-problem">
      <p className="notice__title">We can't get live updates for {what}.</p>
      <p>Reload the page to try again. If it keeps happening, your session may have changed: start over from this page.</p>
      <p className="notice__detail">
        {topic.error.code}: {topic.error.message}
      </p>
    </div>
  );
}

/**
 * The waiting room: join the queue for an event, then watch your place move
 * with every broadcast serving number until the moment you are admitted.
 */
import { useCallback, useEffect, useRef } from "react";
import type { QueueTicket } from "../api.js";
import { ErrorNotice } from "../components/ErrorNotice.js";
import { LiveAnnouncer } from "../components/LiveAnnouncer.js";
import { TopicProblem } from "../components/TopicProblem.js";
import { useTopic } from "../hooks.js";
import { usePushServices } from "../push-context.js";
import { peopleAheadText, queueStanding } from "../queue-standing.js";
import { useAction } from "../use-action.js";
import { useStoredState } from "../use-stored-state.js";

function parseTicket(raw: unknown): QueueTicket | undefined {
  const t = raw as Partial<QueueTicket> | null;
  return t && typeof t.ticket === "number" && typeof t.servingNumber === "number" && typeof t.topic === "string" && typeof t.eventId === "string"
    ? (t as QueueTicket)
    : undefined;
}

export function WaitingRoom({ eventId }: { eventId: string }) {
  const { api } = usePushServices();
  const [ticket, setTicket] = useStoredState<QueueTicket | undefined>(`pushgate.ticket.${eventId}`, parseTicket, undefined);
  const joinQueue = useCallback(() => api.joinQueue(eventId), [api, eventId]);
  const join = useAction(joinQueue, setTicket);

  return (
    <section className="view" aria-labelledby="waiting-room-title">
      <h1 id="waiting-room-title">Waiting room</h1>
      {ticket ? (
        <QueuePlace ticket={ticket} />
      ) : (
        <div className="card">
          <p>Tickets for event {eventId} are sold in order of arrival. Join the queue and keep this page open: your place updates live.</p>
          <button type="button" className="button" onClick={() => void join.run()} disabled={join.pending} data-testid="join-queue">
            {join.pending ? "Joining…" : "Join the queue"}
          </button>
          {join.error && <ErrorNotice message={join.error} onRetry={() => void join.run()} />}
        </div>
      )}
    </section>
  );
}

function QueuePlace({ ticket }: { ticket: QueueTicket }) {
  const position = useTopic(ticket.topic);
  // Serving numbers only grow. The join answer can be newer than the last
  // broadcast (or the snapshot), so the larger of the two is the truth.
  const servingNumber = Math.max(ticket.servingNumber, position.data?.servingNumber ?? 0);
  const standing = queueStanding(ticket.ticket, servingNumber, ticket.servingNumber);
  const admittedHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    // Move focus to the news so keyboard and screen-reader users land on it.
    if (standing.admitted) admittedHeading.current?.focus();
  }, [standing.admitted]);

  const announcement = standing.admitted ? "You're in! It's your turn to buy tickets." : `${peopleAheadText(standing.peopleAhead)}.`;

  return (
    <div className={`card queue ${standing.admitted ? "queue--admitted" : ""}`}>
      <dl className="queue__numbers">
        <div>
          <dt>Your ticket</dt>
          <dd data-testid="queue-ticket">{ticket.ticket.toLocaleString("en-US")}</dd>
        </div>
        <div>
          <dt>Now serving</dt>
          <dd data-testid="queue-serving">{servingNumber.toLocaleString("en-US")}</dd>
        </div>
      </dl>

      {standing.admitted ? (
        <div className="queue__admitted" data-testid="queue-admitted">
          <h2 ref={admittedHeading} tabIndex={-1}>
            You're in!
          </h2>
          <p>It's your turn. Your place is held while you choose your seats.</p>
        </div>
      ) : (
        <p className="queue__ahead" data-testid="people-ahead" data-count={standing.peopleAhead}>
          {peopleAheadText(standing.peopleAhead)}
        </p>
      )}

      <div
        className="progress"
        role="progressbar"
        aria-label="Your progress through the queue"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={standing.percentDone}
        aria-valuetext={standing.admitted ? "Admitted" : peopleAheadText(standing.peopleAhead)}
      >
        <div className="progress__fill" style={{ width: `${standing.percentDone}%` }} />
      </div>

      <TopicProblem topic={position} what="your place in the queue" />
      <LiveAnnouncer message={announcement} testId="queue-announcer" />
    </div>
  );
}

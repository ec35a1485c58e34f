/**
 * The waiting room: the fan's one place in the queue for an event, from the
 * pre-queue countdown through the place in line to the admission token.
 *
 * The place lives on the server (GET .../me), so a reload or another tab of
 * this browser (the same fan) finds it again. Everything that moves comes from
 * the queue topic's broadcast: the opening, the serving number and the rate.
 * When the serving number reaches the fan's ticket the page asks the server
 * for its admission (the server decides, not the page) and hands the signed
 * token to the sale through "Continue to tickets".
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { Admission, QueuePlace } from "../api.js";
import { ErrorNotice } from "../components/ErrorNotice.js";
import { LiveAnnouncer } from "../components/LiveAnnouncer.js";
import { TopicProblem } from "../components/TopicProblem.js";
import { UpdatedAgo } from "../components/UpdatedAgo.js";
import { explainError, type FanMessage } from "../errors.js";
import { useTopic } from "../hooks.js";
import { usePushServices } from "../push-context.js";
import { countdownText, estimatedWaitText, milestoneText, peopleAheadText, queueMilestone, queueStanding } from "../queue-standing.js";
import { useTitleNotice } from "../page-title.js";
import { useFocusRequest } from "../use-focus-request.js";
import { useAction } from "../use-action.js";
import { useSecondsUntil } from "../use-seconds-until.js";

/** The heading of the fan's place, where focus lands after joining. */
const PLACE_HEADING_ID = "queue-place-title";

export function WaitingRoom({ eventId }: { eventId: string }) {
  const { api } = usePushServices();
  // undefined: still asking the server; null: this fan has not joined.
  const [place, setPlace] = useState<QueuePlace | null | undefined>(undefined);
  const [lookupError, setLookupError] = useState<FanMessage | undefined>(undefined);
  const lookUp = useCallback(() => {
    setLookupError(undefined);
    api.myPlace(eventId).then(
      (found) => setPlace(found ?? null),
      (error: unknown) => setLookupError(explainError(error)),
    );
  }, [api, eventId]);
  useEffect(lookUp, [lookUp]);

  const requestFocus = useFocusRequest();
  // Set while the browser solves the queue's proof-of-work challenge (only queues that ask one).
  const [proofProgress, setProofProgress] = useState<number | undefined>(undefined);
  const joinQueue = useCallback(async () => {
    try {
      return await api.joinQueue(eventId, setProofProgress);
    } finally {
      setProofProgress(undefined);
    }
  }, [api, eventId]);
  const joined = useCallback(
    (joinedPlace: QueuePlace) => {
      setPlace(joinedPlace);
      // The join button is gone: land on what replaced it, not at the top of the page.
      requestFocus(PLACE_HEADING_ID);
    },
    [requestFocus],
  );
  const join = useAction(joinQueue, joined);

  return (
    <section className="view" aria-labelledby="waiting-room-title">
      <h1 id="waiting-room-title">Waiting room</h1>
      {lookupError && <ErrorNotice message={lookupError} onRetry={lookUp} />}
      {place ? (
        <QueuePlaceCard place={place} onPlace={setPlace} />
      ) : place === null ? (
        <div className="card">
          <p>Join the queue for event {eventId} and keep this page open: your place updates live.</p>
          <button type="button" className="button" onClick={() => void join.run()} disabled={join.pending} data-testid="join-queue">
            {join.pending ? "Joining…" : "Join the queue"}
          </button>
          {proofProgress !== undefined && (
            <p data-testid="join-proof">
              Checking this browser before it joins (this keeps scripted joins out)…{" "}
              <progress max={100} value={Math.round(proofProgress * 100)} aria-label="Checking this browser" />
            </p>
          )}
          {join.error && <ErrorNotice message={join.error} onRetry={() => void join.run()} />}
        </div>
      ) : (
        !lookupError && <p className="card">Looking for your place…</p>
      )}
    </section>
  );
}

function QueuePlaceCard({ place, onPlace }: { place: QueuePlace; onPlace: (place: QueuePlace) => void }) {
  const { api } = usePushServices();
  const position = useTopic(place.topic);
  const pushed = position.data;
  const opened = place.status !== "prequeue" || pushed?.phase === "open";

  // The broadcast says the queue opened, but not the fan's drawn ticket: ask for it once.
  useEffect(() => {
    if (place.status !== "prequeue" || pushed?.phase !== "open") return;
    let cancelled = false;
    void api.myPlace(place.eventId).then((found) => {
      if (!cancelled && found) onPlace(found);
    });
    return () => {
      cancelled = true;
    };
  }, [api, place.eventId, place.status, pushed?.phase, onPlace]);

  if (!opened || place.ticket === null)
    return <PreQueue place={place} opensAt={pushed?.opensAt ?? place.opensAt} name={pushed?.name ?? place.name} />;
  return <InLine place={place} ticket={place.ticket} />;
}

function PreQueue({ place, opensAt, name }: { place: QueuePlace; opensAt: string; name: string }) {
  const seconds = useSecondsUntil(Date.parse(opensAt));
  return (
    <div className="card queue" data-testid="queue-prequeue">
      <h2 id={PLACE_HEADING_ID} tabIndex={-1}>
        {name}
      </h2>
      <p>
        Opens in <strong data-testid="queue-countdown">{countdownText(seconds ?? 0)}</strong>
      </p>
      <p>You're in the pre-queue. At opening, everyone here gets a random place in line, so there is no need to hurry or refresh.</p>
      <LiveAnnouncer message={`You're in the pre-queue for ${place.name}.`} testId="queue-announcer" />
    </div>
  );
}

function InLine({ place, ticket }: { place: QueuePlace; ticket: number }) {
  const position = useTopic(place.topic);
  // Serving numbers only grow. The place answer can be newer than the last
  // broadcast (or the snapshot), so the larger of the two is the truth.
  const servingNumber = Math.max(place.servingNumber, position.data?.servingNumber ?? 0);
  const standing = queueStanding(ticket, servingNumber, place.servingNumber);
  const wait = estimatedWaitText(standing.peopleAhead, position.data?.admittedPerMinute);

  // Milestones, not every count: the line moves every few seconds and a screen reader would never stop.
  const announcement = standing.admitted ? "It's your turn. Continue to tickets." : milestoneText(queueMilestone(standing.peopleAhead));
  return (
    <div className={`card queue ${standing.admitted ? "queue--admitted" : ""}`}>
      <h2 id={PLACE_HEADING_ID} tabIndex={-1}>
        {place.name}
      </h2>
      <dl className="queue__numbers">
        <div>
          <dt>Your place in line</dt>
          <dd data-testid="queue-ticket">{ticket.toLocaleString("en-US")}</dd>
        </div>
        <div>
          <dt>Now serving</dt>
          <dd data-testid="queue-serving">{servingNumber.toLocaleString("en-US")}</dd>
        </div>
      </dl>

      {standing.admitted ? (
        <Admitted eventId={place.eventId} />
      ) : (
        <>
          <p className="queue__ahead" data-testid="people-ahead" data-count={standing.peopleAhead}>
            {peopleAheadText(standing.peopleAhead)}
          </p>
          {wait && <p data-testid="queue-wait">Estimated wait: {wait}</p>}
        </>
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
      {position.ts && <UpdatedAgo ts={position.ts} className="queue__updated" testId="queue-updated" />}

      <TopicProblem topic={position} what="your place in the queue" />
      <LiveAnnouncer message={announcement} testId="queue-announcer" />
    </div>
  );
}

/** Asks the server for the admission (the server checks the turn) and hands its token to the sale. */
function Admitted({ eventId }: { eventId: string }) {
  const { api } = usePushServices();
  const [admission, setAdmission] = useState<Admission | undefined>(undefined);
  const admit = useCallback(() => api.admission(eventId), [api, eventId]);
  const request = useAction(admit, setAdmission);
  const continueButton = useRef<HTMLAnchorElement>(null);
  const secondsLeft = useSecondsUntil(admission ? Date.parse(admission.expiresAt) : undefined);

  // biome-ignore lint/correctness/useExhaustiveDependencies: once per admitted view (see below), not once per request object.
  useEffect(() => {
    void request.run();
    // Once per admitted view; a retry is the fan's (the ErrorNotice below).
  }, []);
  // The tab title says so even while the fan looks at another tab of the browser.
  useTitleNotice(admission ? "It's your turn" : undefined);
  useEffect(() => {
    // Move focus to the next step so keyboard and screen-reader users land on it.
    if (admission) continueButton.current?.focus();
  }, [admission]);

  const href = admission ? saleLink(admission) : undefined;
  return (
    <div className="queue__admitted" data-testid="queue-admitted">
      <h2>You're in!</h2>
      <p>It's your turn. Your place is held while you choose your seats.</p>
      {admission && href && (
        <>
          <a ref={continueButton} className="button" href={href} data-testid="continue-to-tickets" data-token={admission.token}>
            Continue to tickets
          </a>
          <p data-testid="admission-time-left">
            {secondsLeft === 0 ? "Your admission has expired." : `Use it within ${countdownText(secondsLeft ?? 0)}.`}
          </p>
        </>
      )}
      {request.pending && <p>Getting your admission…</p>}
      {request.error && <ErrorNotice message={request.error} onRetry={() => void request.run()} />}
    </div>
  );
}

/** The sale page with the token in the fragment: it never reaches a server log, the sale's page reads it and verifies it. */
function saleLink(admission: Admission): string {
  const base = admission.saleUrl ?? `${location.origin}${location.pathname}#/queue`;
  return `${base.split("#")[0]}#admission=${encodeURIComponent(admission.token)}`;
}

/**
 * The waiting room: operators open a queue, each fan holds one place in it,
 * the pre-queue is drawn in random order at opening, the serving number moves
 * (by operator or at admitPerMinute) but never past the last ticket, and an
 * admitted fan gets a signed admission token the sale verifies.
 *
 * Fans learn everything through the queue topic's one broadcast per change
 * (serving number, tickets issued, rate, phase) and their own place through
 * join / GET .../me: never one write or one push per fan per advance.
 */
import { z } from "zod";
import { PushgateError } from "../errors";
import type { Clock, Place, Queue, QueueStore } from "../ports";
import type { AdmissionResponse, AdvanceResponse, ChallengeResponse, JoinResponse, QueuePhase, QueueResponse } from "../protocol";
import { requireId, topicName } from "../topics";
import { parseBody } from "../validate";
import type { AdmissionSigner } from "../waiting-room/admission-tokens";
import { MAX_PROOF_OF_WORK_BITS, type ProofOfWork } from "../waiting-room/proof-of-work";
import { shuffled, type RandomIndex } from "../waiting-room/shuffle";

/** How long a place is kept after its queue opened: well past any sale. */
const PLACE_TTL_SECONDS = 30 * 24 * 3600;
/** The admission rate pushed to fans is measured over this window. */
const RATE_WINDOW_MS = 5 * 60_000;
const MAX_SAMPLES = 30;
/** A run of the tick waits for an opening due within this; the schedule runs every minute. */
export const OPENING_LOOKAHEAD_MS = 60_000;
/** A draw left in "shuffling" this long was cut short (its function timed out): it is drawn again. */
const STALE_DRAW_MS = 150_000;
const MAX_SERVING_RETRIES = 10;

const QueueBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  opensAt: z.string().datetime({ offset: true }),
  admitPerMinute: z.number().int().min(1).max(1_000_000).optional(),
  admissionTtlSeconds: z
    .number()
    .int()
    .min(30)
    .max(24 * 3600)
    .optional(),
  saleUrl: z
    .string()
    .max(2000)
    .url()
    .regex(/^https?:\/\//, "must be an http(s) URL")
    .optional(),
  proofOfWorkBits: z.number().int().min(1).max(MAX_PROOF_OF_WORK_BITS).optional(),
});
const JoinBody = z.strictObject({ challenge: z.string().max(1_000).optional(), nonce: z.string().max(20).optional() }).optional();
const AdvanceBody = z.strictObject({ by: z.number().int().min(1).max(100_000) });

const QUEUE_EXAMPLE = `{"name":"Taylor Swift, Wembley, 21 June","opensAt":"2026-06-01T09:00:00Z","admitPerMinute":500,"admissionTtlSeconds":600}`;

export interface WaitingRoomDeps {
  queues: QueueStore;
  clock: Clock;
}

const notOpened = (eventId: string) =>
  new PushgateError(
    "NOT_FOUND",
    `there is no queue for event ${eventId}; check the event id (an operator opens a queue with PUT /queues/${eventId})`,
  );

async function requireQueue(deps: WaitingRoomDeps, eventId: string): Promise<Queue> {
  const queue = await deps.queues.get(eventId);
  if (!queue) throw notOpened(eventId);
  return queue;
}

export const publicPhase = (queue: Pick<Queue, "phase">): QueuePhase => (queue.phase === "open" ? "open" : "prequeue");
export const ticketsIssued = (queue: Pick<Queue, "phase" | "prequeueSize" | "arrivals">): number =>
  queue.phase === "open" ? queue.prequeueSize + queue.arrivals : 0;

/** The fan's ticket: drawn at opening, or counted on arrival after it; null until the queue is open. */
export function ticketOf(queue: Queue, place: Place): number | null {
  if (queue.phase !== "open") return null;
  if (place.arrival !== undefined) return queue.prequeueSize + place.arrival;
  return place.ticket ?? null;
}

export function placeView(queue: Queue, place: Place): JoinResponse {
  const ticket = ticketOf(queue, place);
  const base = {
    eventId: queue.eventId,
    name: queue.name,
    topic: topicName("queue", queue.eventId),
    opensAt: queue.opensAt,
    servingNumber: queue.servingNumber,
    ticket,
  };
  if (ticket === null) return { ...base, status: "prequeue", peopleAhead: null };
  if (queue.servingNumber >= ticket) return { ...base, status: "admitted", peopleAhead: 0 };
  return { ...base, status: "waiting", peopleAhead: ticket - queue.servingNumber - 1 };
}

function queueView(queue: Queue): QueueResponse {
  return {
    eventId: queue.eventId,
    name: queue.name,
    opensAt: queue.opensAt,
    admitPerMinute: queue.admitPerMinute ?? null,
    admissionTtlSeconds: queue.admissionTtlSeconds,
    saleUrl: queue.saleUrl ?? null,
    proofOfWorkBits: queue.proofOfWorkBits ?? null,
    topic: topicName("queue", queue.eventId),
    phase: publicPhase(queue),
    servingNumber: queue.servingNumber,
    ticketsIssued: ticketsIssued(queue),
  };
}

/** PUT /queues/{eventId} (operator): creates or updates; the opening time is fixed once the draw has started. */
export async function openQueue(deps: WaitingRoomDeps, eventId: string | undefined, body: unknown): Promise<QueueResponse> {
  const id = requireId("eventId", eventId);
  const {
    name,
    opensAt: rawOpensAt,
    admitPerMinute,
    admissionTtlSeconds,
    saleUrl,
    proofOfWorkBits,
  } = parseBody(QueueBody, body, QUEUE_EXAMPLE);
  const opensAt = new Date(rawOpensAt).toISOString();
  const settings = {
    name,
    opensAt,
    admissionTtlSeconds: admissionTtlSeconds ?? 600,
    ...(admitPerMinute !== undefined && { admitPerMinute }),
    ...(saleUrl !== undefined && { saleUrl }),
    ...(proofOfWorkBits !== undefined && { proofOfWorkBits }),
  };
  const existing = await deps.queues.get(id);
  if (existing && existing.phase !== "prequeue" && existing.opensAt !== opensAt) {
    throw new PushgateError(
      "CONFLICT",
      `queue ${id} opened at ${existing.opensAt} and its pre-queue is drawn; send that opensAt to change the other settings`,
    );
  }
  return queueView(await deps.queues.put(id, settings, new Date(deps.clock.now()).toISOString()));
}

/**
 * POST /queues/{eventId}/join (fan): the fan's one place; joining again answers the same place.
 * A queue with `proofOfWorkBits` asks a solved challenge (body `{ challenge, nonce }`) for a new place;
 * the place's own conditional write makes the proof single use.
 */
export async function joinQueue(
  deps: WaitingRoomDeps & { proofOfWork: () => Promise<ProofOfWork> },
  fanId: string,
  eventId: string | undefined,
  body?: unknown,
): Promise<JoinResponse> {
  const id = requireId("eventId", eventId);
  const proof = parseBody(JoinBody, body ?? undefined, `{"challenge":"<from GET /queues/${id}/challenge>","nonce":"12345"}`) ?? {};
  const queue = await requireQueue(deps, id);
  const existing = await deps.queues.place(id, fanId);
  if (existing) return placeView(queue, existing);
  if (queue.proofOfWorkBits !== undefined) {
    (await deps.proofOfWork()).verify(proof, { fanId, eventId: id, bits: queue.proofOfWorkBits });
  }

  const now = new Date(deps.clock.now());
  const place: Place = {
    eventId: id,
    fanId,
    joinedAt: now.toISOString(),
    expiresAt: Math.floor(Date.parse(queue.opensAt) / 1000) + PLACE_TTL_SECONDS,
  };
  if (now.getTime() < Date.parse(queue.opensAt) && queue.phase === "prequeue") {
    const outcome = await deps.queues.joinPrequeue(place);
    if (outcome === "joined") return placeView(queue, place);
    if (outcome === "exists") return myPlace(deps, fanId, id);
    // "closed": the draw started (a clock a little ahead of ours); the fan arrives after opening instead.
  }
  const arrived = await deps.queues.joinArrival(place);
  if (arrived === "exists") return myPlace(deps, fanId, id);
  // Read again: the arrival count is only meaningful with the prequeue size of the same moment (or later).
  return placeView((await deps.queues.get(id)) ?? queue, arrived);
}

/** GET /queues/{eventId}/challenge (fan): a proof-of-work challenge for this fan and event (`bits` 0: none asked). */
export async function joinChallenge(
  deps: WaitingRoomDeps & { proofOfWork: () => Promise<ProofOfWork> },
  fanId: string,
  eventId: string | undefined,
): Promise<ChallengeResponse> {
  const id = requireId("eventId", eventId);
  const queue = await requireQueue(deps, id);
  return (await deps.proofOfWork()).issue(fanId, id, queue.proofOfWorkBits ?? 0);
}

/** GET /queues/{eventId}/me (fan): the place of a fan who joined, for a reloaded page or a new tab. */
export async function myPlace(deps: WaitingRoomDeps, fanId: string, eventId: string | undefined): Promise<JoinResponse> {
  const id = requireId("eventId", eventId);
  const [queue, place] = await Promise.all([requireQueue(deps, id), deps.queues.place(id, fanId)]);
  if (!place) throw new PushgateError("NOT_FOUND", `you have not joined the queue for event ${id}; join it with POST /queues/${id}/join`);
  return placeView(queue, place);
}

/** POST /queues/{eventId}/admission (fan): a signed token once the serving number reached the fan's ticket. */
export async function admit(
  deps: WaitingRoomDeps & { signer: () => Promise<AdmissionSigner> },
  fanId: string,
  eventId: string | undefined,
): Promise<AdmissionResponse> {
  const id = requireId("eventId", eventId);
  const [queue, place] = await Promise.all([requireQueue(deps, id), deps.queues.place(id, fanId)]);
  if (!place) throw new PushgateError("NOT_FOUND", `you have not joined the queue for event ${id}; join it with POST /queues/${id}/join`);
  const view = placeView(queue, place);
  if (view.status !== "admitted") {
    const where =
      view.peopleAhead === null ? "you are in the pre-queue; tickets are drawn at opening" : `${view.peopleAhead} people are ahead of you`;
    throw new PushgateError("NOT_YET", `not your turn yet: ${where}; keep the page open, you are told the moment it is`, {
      peopleAhead: view.peopleAhead,
    });
  }
  const signer = await deps.signer();
  const { token, expiresAt } = await signer.sign({ fanId, eventId: id, ticket: view.ticket!, ttlSeconds: queue.admissionTtlSeconds });
  return { token, expiresAt, ...(queue.saleUrl !== undefined && { saleUrl: queue.saleUrl }) };
}

/** POST /queues/{eventId}/advance (operator), body `{ by }`: never past the last ticket issued. */
export async function advanceQueue(deps: WaitingRoomDeps, eventId: string | undefined, body: unknown): Promise<AdvanceResponse> {
  const id = requireId("eventId", eventId);
  const { by } = parseBody(AdvanceBody, body, `{"by":10}`);
  const queue = await requireQueue(deps, id);
  if (queue.phase !== "open") {
    throw new PushgateError(
      "CONFLICT",
      `queue ${id} opens at ${queue.opensAt} and has no tickets yet; advance it after opening (the pre-queue is drawn then)`,
    );
  }
  const moved = await moveServing(deps, queue, by);
  return { topic: topicName("queue", id), seq: moved.seq, servingNumber: moved.servingNumber };
}

/**
 * Moves the serving number by `by`, capped at the tickets issued, with an
 * optimistic write (the seq read must still be current), so two advances
 * racing cannot overshoot the cap. Nothing is written when nothing moves.
 */
async function moveServing(deps: WaitingRoomDeps, read: Queue, by: number, auto?: true): Promise<Queue> {
  let queue = read;
  for (let attempt = 0; attempt < MAX_SERVING_RETRIES; attempt++) {
    const now = new Date(deps.clock.now());
    const target = Math.min(queue.servingNumber + by, ticketsIssued(queue));
    if (target === queue.servingNumber && !auto) return queue;
    const servedSamples = samplesAfter(queue.servedSamples ?? [], { at: now.getTime(), serving: target });
    const written = await deps.queues.setServing(queue.eventId, queue.seq, {
      servingNumber: target,
      servedSamples,
      admittedPerMinute: ratePerMinute(servedSamples, queue.admitPerMinute),
      at: now.toISOString(),
      ...(auto && { autoAdvancedAt: now.toISOString() }),
    });
    if (written) return written;
    queue = (await deps.queues.get(queue.eventId))!;
  }
  throw new Error(`queue ${read.eventId}: the serving number kept changing under ${MAX_SERVING_RETRIES} attempts; retry the advance`);
}

function samplesAfter(samples: Queue["servedSamples"], sample: { at: number; serving: number }): Queue["servedSamples"] {
  const next = [...samples, sample].slice(-MAX_SAMPLES);
  // Keep one sample at or before the window's start as the anchor of the rate.
  while (next.length > 2 && next[1]!.at <= sample.at - RATE_WINDOW_MS) next.shift();
  return next;
}

/** Tickets admitted per minute over the window; the configured rate until there are ten seconds of history. */
export function ratePerMinute(samples: Queue["servedSamples"], configured: number | undefined): number {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || last.at - first.at < 10_000) return configured ?? 0;
  return Math.round(((last.serving - first.serving) * 60_000) / (last.at - first.at));
}

export interface TickDeps extends WaitingRoomDeps {
  sleep(ms: number): Promise<void>;
  randomIndex?: RandomIndex;
}

export interface TickReport {
  opened: { eventId: string; prequeueSize: number; drawMs: number }[];
  advanced: { eventId: string; servingNumber: number }[];
}

/**
 * The scheduled tick (every minute): draws the pre-queue of every queue whose
 * opening is due within the minute (waiting for the exact time), redraws one
 * whose draw was cut short, and advances open queues at admitPerMinute.
 */
export async function queueTick(deps: TickDeps): Promise<TickReport> {
  const report: TickReport = { opened: [], advanced: [] };
  const queues = await deps.queues.list();
  await Promise.all(
    queues.map(async (queue) => {
      const now = deps.clock.now();
      const opensAt = Date.parse(queue.opensAt);
      const staleDraw = queue.phase === "shuffling" && now - Date.parse(queue.updatedAt) > STALE_DRAW_MS;
      if ((queue.phase === "prequeue" && opensAt - now <= OPENING_LOOKAHEAD_MS) || staleDraw) {
        if (opensAt > now) await deps.sleep(opensAt - now);
        const opened = await drawPrequeue(deps, queue.eventId, staleDraw);
        if (opened) report.opened.push(opened);
      } else if (queue.phase === "open" && queue.admitPerMinute !== undefined) {
        const since = Date.parse(queue.autoAdvancedAt ?? queue.updatedAt);
        const by = Math.floor((queue.admitPerMinute * (now - since)) / 60_000);
        if (by >= 1) {
          const moved = await moveServing(deps, queue, by, true);
          report.advanced.push({ eventId: queue.eventId, servingNumber: moved.servingNumber });
        }
      }
    }),
  );
  return report;
}

/**
 * The opening draw: freeze the pre-queue (joins from now on are arrivals),
 * order it uniformly at random, write tickets 1..n, then open, which bumps
 * seq so every subscribed fan hears that tickets are out. Tickets are not
 * shown before the queue is open, so a draw cut short is simply drawn again.
 */
export async function drawPrequeue(deps: TickDeps, eventId: string, redraw = false): Promise<TickReport["opened"][number] | undefined> {
  const started = Date.now();
  const at = () => new Date(deps.clock.now()).toISOString();
  if (!redraw && !(await deps.queues.freezePrequeue(eventId, at()))) return undefined;
  const prequeue = await deps.queues.prequeue(eventId);
  const order = shuffled(prequeue, deps.randomIndex);
  await deps.queues.assignTickets(order.map((place, index) => ({ ...place, ticket: index + 1 })));
  await deps.queues.open(eventId, order.length, at());
  return { eventId, prequeueSize: order.length, drawMs: Date.now() - started };
}

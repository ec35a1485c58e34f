/**
 * Where a fan stands in a queue. Queues broadcast one serving number per
 * advance (never one write per fan), so every fan works out their own place:
 * people ahead = ticket - servingNumber - 1 (the tickets between the last one
 * admitted and yours); admitted once servingNumber >= ticket. The estimated
 * wait divides the people ahead by the admission rate the queue pushes.
 */
export interface QueueStanding {
  peopleAhead: number;
  admitted: boolean;
  /** 0..100: how much of the line that was ahead at joining has been served. */
  percentDone: number;
}

export function queueStanding(ticket: number, servingNumber: number, servingAtJoin: number): QueueStanding {
  const peopleAhead = Math.max(0, ticket - servingNumber - 1);
  const aheadAtJoin = Math.max(0, ticket - servingAtJoin - 1);
  const admitted = servingNumber >= ticket;
  const percentDone = admitted || aheadAtJoin === 0 ? 100 : Math.round(((aheadAtJoin - peopleAhead) / aheadAtJoin) * 100);
  return { peopleAhead, admitted, percentDone: admitted ? 100 : Math.min(99, Math.max(0, percentDone)) };
}

export function peopleAheadText(peopleAhead: number): string {
  if (peopleAhead === 0) return "No one ahead of you";
  return peopleAhead === 1 ? "1 person ahead of you" : `${peopleAhead.toLocaleString("en-US")} people ahead of you`;
}

/** "about 7 min" from the pushed rate; undefined while the queue has no rate yet (nothing to estimate from). */
export function estimatedWaitText(peopleAhead: number, admittedPerMinute: number | undefined): string | undefined {
  if (!admittedPerMinute || admittedPerMinute <= 0) return undefined;
  const minutes = (peopleAhead + 1) / admittedPerMinute;
  if (minutes < 1) return "less than a minute";
  if (minutes < 90) return `about ${Math.round(minutes)} min`;
  return `about ${Math.round(minutes / 60)} h`;
}

/** "2:05:09" / "4:09" / "0:07" for a countdown of whole seconds. */
export function countdownText(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** People-ahead counts worth telling a screen reader user about as they are passed (the queue moves every few seconds). */
const MILESTONES = [1_000, 500, 100, 50, 10, 5, 0] as const;

/**
 * The milestone a fan with `peopleAhead` has reached: the smallest one at or
 * above the count, or undefined while more than the largest are ahead. It only
 * changes a few times on the way through the line, so announcing it (rather
 * than every count) tells the fan their progress without talking every 6 s.
 */
export function queueMilestone(peopleAhead: number): number | undefined {
  let reached: number | undefined;
  for (const milestone of MILESTONES) if (peopleAhead <= milestone) reached = milestone;
  return reached;
}

/** What a screen reader hears as the fan moves up the line: one sentence per milestone. */
export function milestoneText(milestone: number | undefined): string {
  if (milestone === undefined) return `You're in line, more than ${MILESTONES[0].toLocaleString("en-US")} people ahead of you.`;
  if (milestone === 0) return "No one is ahead of you any more: you're next.";
  return `${milestone.toLocaleString("en-US")} or fewer people ahead of you.`;
}

/**
 * Where a fan stands in a queue. Queues broadcast one serving number per
 * advance (never one write per fan), so every fan works out their own place:
 * people ahead = ticket - servingNumber; admitted once servingNumber >= ticket.
 */
export interface QueueStanding {
  peopleAhead: number;
  admitted: boolean;
  /** 0..100: how much of the line that was ahead at joining has been served. */
  percentDone: number;
}

export function queueStanding(ticket: number, servingNumber: number, servingAtJoin: number): QueueStanding {
  const peopleAhead = Math.max(0, ticket - servingNumber);
  const aheadAtJoin = Math.max(0, ticket - servingAtJoin);
  const admitted = servingNumber >= ticket;
  const percentDone = admitted || aheadAtJoin === 0 ? 100 : Math.round(((aheadAtJoin - peopleAhead) / aheadAtJoin) * 100);
  return { peopleAhead, admitted, percentDone: Math.min(100, Math.max(0, percentDone)) };
}

export function peopleAheadText(peopleAhead: number): string {
  if (peopleAhead === 0) return "No one ahead of you";
  return peopleAhead === 1 ? "1 person ahead of you" : `${peopleAhead.toLocaleString("en-US")} people ahead of you`;
}

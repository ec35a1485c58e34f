/**
 * The presale scenario's arithmetic, kept pure so it is tested on its own:
 * the ticket audit (every fan exactly one distinct ticket, 1..n with no gap)
 * and the pacing projection that decides whether the opening must move
 * because the local cloud absorbs joins slower than the burst offers them.
 */

/** At most this many offending values are listed; the counts are always complete. */
const LISTED = 20;

export interface TicketAudit {
  fans: number;
  /** Fans whose GET .../me answered no ticket (still in the pre-queue, or no place at all). */
  withoutTicket: number;
  /** Tickets held by more than one fan (first LISTED), and how many such tickets there are. */
  duplicates: number[];
  duplicateCount: number;
  /** Numbers of 1..fans no fan holds (first LISTED), and how many. */
  gaps: number[];
  gapCount: number;
  /** Tickets outside 1..fans (first LISTED). */
  outOfRange: number[];
  /** true when the tickets are exactly a permutation of 1..fans. */
  permutation: boolean;
}

/** Audits one ticket per fan (null: the fan has none) against the permutation 1..tickets.length. */
export function auditTickets(tickets: readonly (number | null)[]): TicketAudit {
  const fans = tickets.length;
  const seen = new Uint32Array(fans + 1);
  const outOfRange: number[] = [];
  let withoutTicket = 0;
  for (const ticket of tickets) {
    if (ticket === null) withoutTicket++;
    else if (!Number.isInteger(ticket) || ticket < 1 || ticket > fans) outOfRange.push(ticket);
    else seen[ticket]!++;
  }
  const duplicates: number[] = [];
  const gaps: number[] = [];
  let duplicateCount = 0;
  let gapCount = 0;
  for (let ticket = 1; ticket <= fans; ticket++) {
    if (seen[ticket]! > 1 && duplicateCount++ < LISTED) duplicates.push(ticket);
    if (seen[ticket] === 0 && gapCount++ < LISTED) gaps.push(ticket);
  }
  return {
    fans,
    withoutTicket,
    duplicates,
    duplicateCount,
    gaps,
    gapCount,
    outOfRange: outOfRange.slice(0, LISTED),
    permutation: withoutTicket === 0 && duplicateCount === 0 && gapCount === 0 && outOfRange.length === 0,
  };
}

/**
 * When `total` joins will be done if the rest go at the rate measured so far
 * (`done` since `startedAt`); undefined before any join finished (no rate yet).
 */
export function projectedEnd(done: number, total: number, startedAt: number, now: number): number | undefined {
  if (done >= total) return now;
  if (done === 0 || now <= startedAt) return undefined;
  const perMs = done / (now - startedAt);
  return now + (total - done) / perMs;
}

/**
 * The one clock every process of the bench uses: epoch milliseconds with
 * sub-millisecond resolution. The producer, the servers and the fan processes
 * all run on this machine, so they share the wall clock and a receipt time in
 * one process can be subtracted from a send time in another.
 */
export const epochMs = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

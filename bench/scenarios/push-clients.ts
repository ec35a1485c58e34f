/** Starting, reading and closing `createPushClient` fans in the fan processes (spike and reconnect storm). */
import type { BenchContext } from "../lib/context";
import type { ClientReportReply, OpenedReply, StartClients } from "../lib/fan-protocol";

export async function startPushClients(
  context: BenchContext,
  count: number,
  topic: string,
  policy: Pick<StartClients, "reconnect" | "fixedRandom">,
): Promise<{ subscribed: number; seconds: number }> {
  const shares = context.fleet.share(count);
  const replies = await context.fleet.all<OpenedReply>(
    (index) => ({
      type: "start-clients",
      httpApiUrl: context.cloud.endpoints.httpApiUrl!,
      websocketUrl: context.cloud.endpoints.websocketUrl,
      topic,
      count: shares[index]!,
      ratePerSecond: 200 / context.fleet.size,
      ...policy,
    }),
    300_000,
  );
  return {
    subscribed: replies.reduce((total, reply) => total + reply.opened, 0),
    seconds: Math.max(...replies.map((reply) => reply.ms)) / 1000,
  };
}

/** Every process's report, merged; client indexes are made unique across processes. */
export async function pushClientReport(context: BenchContext): Promise<ClientReportReply> {
  const replies = await context.fleet.all<ClientReportReply>(() => ({ type: "client-report" }), 60_000);
  const merged: ClientReportReply = { applied: [], states: [], failures: {}, final: [] };
  for (const reply of replies) {
    const offset = merged.applied.length;
    merged.applied.push(...reply.applied);
    merged.states.push(...reply.states.map(([client, state, at]) => [client + offset, state, at] as [number, string, number]));
    merged.final.push(...reply.final);
    for (const [key, value] of Object.entries(reply.failures)) merged.failures[key] = (merged.failures[key] ?? 0) + value;
  }
  return merged;
}

export async function closePushClients(context: BenchContext): Promise<void> {
  await context.fleet.all(() => ({ type: "close-clients" }), 60_000);
}

import { topology, type TopologyShape } from "@pushgate/core/topology";

/**
 * The topology as the stacks walk it: its general shape, records keyed by
 * string, so a table, route or consumer added to topology.ts needs no change
 * here.
 */
export const declared: TopologyShape = topology;

/** `record[name]`, or an error naming what topology.ts refers to but does not declare. */
export function lookup<V>(record: Record<string, V>, name: string, what: string): V {
  const value = record[name];
  if (value === undefined) throw new Error(`topology.ts refers to ${what} "${name}", which it does not declare`);
  return value;
}

import { describe, expect, it } from "vitest";
import { checkServerCanHold, gatewayProcessesFor } from "./big-game";

describe("the big game's gateway processes", () => {
  it("picks one per 15,000 clients: the server process alone below that", () => {
    expect([2_000, 15_000, 20_000, 50_000].map(gatewayProcessesFor)).toEqual([1, 1, 2, 4]);
  });

  it("checks each holder's share against the open-files limit, and says how many processes would do", () => {
    expect(() => checkServerCanHold(50_000, 20_000)).toThrow(/--gateway-processes 3\b/);
    expect(() => checkServerCanHold(50_000, 20_000, 4)).not.toThrow();
    expect(() => checkServerCanHold(50_000, 20_000, 2)).toThrow(/~25,100 open files in each.*--gateway-processes 3 or more/);
    expect(() => checkServerCanHold(19_000, 20_000)).not.toThrow();
  });
});

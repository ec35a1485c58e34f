import type { FunctionDecl } from "@pushgate/core/topology";
import { describe, expect, it } from "vitest";
import { FunctionTimeoutError } from "../../src/invoke";
import { RouteFaults } from "../../src/invoke/route-faults";

const fn = {} as FunctionDecl;
const event = (routeKey: string) => ({ requestContext: { routeKey } });

describe("RouteFaults", () => {
  it("runs the function, then loses the next n answers of that route as integration timeouts; other routes pass", async () => {
    const ran: string[] = [];
    const lines: string[] = [];
    const faults = new RouteFaults((_level, message) => lines.push(message));
    const invoke = faults.wrap(async (_fn, e) => {
      ran.push((e as ReturnType<typeof event>).requestContext.routeKey);
      return { statusCode: 200 };
    });
    faults.timeOut("subscribe", 2);
    await expect(invoke(fn, event("subscribe"))).rejects.toBeInstanceOf(FunctionTimeoutError);
    await expect(invoke(fn, event("ping"))).resolves.toEqual({ statusCode: 200 });
    await expect(invoke(fn, event("subscribe"))).rejects.toThrow(/timed out after 29\.00 seconds/);
    await expect(invoke(fn, event("subscribe"))).resolves.toEqual({ statusCode: 200 });
    // The function ran every time: a lost answer is not a lost write.
    expect(ran).toEqual(["subscribe", "ping", "subscribe", "subscribe"]);
    expect(lines).toHaveLength(2);

    faults.timeOut("subscribe", 5);
    faults.timeOut("subscribe", 0);
    await expect(invoke(fn, event("subscribe"))).resolves.toEqual({ statusCode: 200 });
  });
});

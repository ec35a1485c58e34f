import { afterEach, describe, expect, it } from "vitest";
import { jwtExpiry, parseExpiry } from "../src/session";
import { startHarness, type Harness } from "./support/harness";

let h: Harness;
afterEach(async () => {
  await h?.dispose();
});

describe("session tokens", () => {
  it("renews an expiring token with the old one as Bearer, so the fan id persists", async () => {
    h = await startHarness({ topics: ["game/g1"] }, { tokenTtlMs: 15 * 60_000 });
    await h.goLive();
    expect(h.cloud.sessions).toEqual([{ authorization: undefined, token: "tok-1", fanId: "fan-1" }]);
    // The open socket outlives its token (API Gateway checks it only at $connect)...
    await h.advanceKeepingAlive(20 * 60_000);
    expect(h.client.getState()).toBe("live");
    expect(h.cloud.sessions.length).toBe(1);
    // ...but the next handshake needs a fresh one.
    h.cloud.open[0]!.socket.terminate();
    await h.until(() => h.client.getState() === "reconnecting", "the drop");
    h.clock.advanceToNext();
    await h.until(() => h.client.getState() === "live" && h.cloud.open.length === 1, "live with the new token");
    expect(h.cloud.sessions.slice(1)).toEqual([{ authorization: "Bearer tok-1", token: "tok-2", fanId: "fan-1" }]);
    expect(h.cloud.open[0]!.offeredProtocols).toEqual(["pushgate.v1", "token.tok-2"]);
    expect(h.cloud.refusedHandshakes).toEqual([]); // renewed before, not after, being refused
  });

  it("gets a new token when the handshake is refused, once per outage", async () => {
    h = await startHarness({ topics: ["game/g1"], random: () => 0.5 });
    await h.goLive();
    h.cloud.revokedTokens.add("tok-1"); // e.g. the signing key was rotated
    h.cloud.open[0]!.socket.terminate();
    await h.until(() => h.client.getState() === "reconnecting", "the drop");
    h.clock.advanceToNext();
    await h.until(() => h.cloud.refusedHandshakes.length === 1, "the refusal");
    await h.until(() => h.client.getState() === "polling", "polling after the failed retry");
    h.clock.advance(h.client.connection.getSnapshot().nextRetryAt! - h.clock.now());
    await h.until(() => h.client.getState() === "live", "live with a renewed token");
    expect(h.cloud.sessions.map((s) => s.authorization)).toEqual([undefined, "Bearer tok-1"]);

    // The gateway is down for a while: refusals do not turn into a POST /session per attempt.
    h.cloud.acceptSockets = false;
    h.cloud.open[0]!.socket.terminate();
    for (let refusal = 2; refusal <= 5; refusal++) {
      await h.until(() => h.client.connection.getSnapshot().nextRetryAt !== undefined, "a retry scheduled");
      h.clock.advance(h.client.connection.getSnapshot().nextRetryAt! - h.clock.now());
      await h.until(() => h.cloud.refusedHandshakes.length === refusal, `refusal ${refusal}`);
    }
    expect(h.cloud.sessions.length).toBe(3);
  });

  it("reports a failing session endpoint and retries with backoff", async () => {
    let calls = 0;
    h = await startHarness({
      topics: ["game/g1"],
      tokenProvider: async () => {
        calls++;
        if (calls < 3) throw new Error("session service down");
        return { token: "tok-x", expiresAt: Number.POSITIVE_INFINITY };
      },
    });
    h.cloud.revokedTokens.clear();
    h.client.connect();
    await h.until(() => h.errors.length === 1, "the first failure");
    expect(h.errors[0]).toMatchObject({ code: "SESSION_FAILED", message: expect.stringContaining("session service down") });
    expect(h.client.getState()).toBe("polling");
    h.clock.advance(h.client.connection.getSnapshot().nextRetryAt! - h.clock.now());
    await h.until(() => h.errors.length === 2, "the second failure");
    expect(calls).toBe(2);
  });

  it("reads expiry as ISO, epoch seconds or epoch ms, and from a JWT's exp", () => {
    expect(parseExpiry("2026-11-22T12:00:00.000Z")).toBe(Date.UTC(2026, 10, 22, 12));
    expect(parseExpiry(1_795_348_800)).toBe(1_795_348_800_000);
    expect(parseExpiry(1_795_348_800_000)).toBe(1_795_348_800_000);
    expect(parseExpiry("soon")).toBeUndefined();
    const payload = Buffer.from(JSON.stringify({ sub: "fan-1", exp: 1_795_348_800 })).toString("base64url");
    expect(jwtExpiry(`eyJhbGciOiJIUzI1NiJ9.${payload}.sig`)).toBe(1_795_348_800_000);
    expect(jwtExpiry("not-a-jwt")).toBeUndefined();
  });
});

import type { SessionToken, TokenProvider } from "@pushgate/client";
import { afterEach, describe, expect, it } from "vitest";
import { rememberedSession } from "../src/remembered-session.js";

const NOW = 1_800_000_000_000;

function recordingProvider() {
  const requests: Parameters<TokenProvider>[0][] = [];
  let n = 0;
  const provider: TokenProvider = async (request) => {
    requests.push(request);
    n += 1;
    return { token: `tok-${n}`, expiresAt: NOW + 3_600_000, fanId: "fan-1" };
  };
  return { provider, requests };
}

afterEach(() => sessionStorage.clear());

describe("rememberedSession", () => {
  it("reuses a stored token with life left in it after a reload, so the fan id (and its reports) survive", async () => {
    const first = recordingProvider();
    const token = await rememberedSession(first.provider, sessionStorage, () => NOW)({ reason: "initial" });
    expect(token.token).toBe("tok-1");

    const afterReload = recordingProvider();
    const again = await rememberedSession(afterReload.provider, sessionStorage, () => NOW + 60_000)({ reason: "initial" });
    expect(again.token).toBe("tok-1");
    expect(afterReload.requests).toHaveLength(0);
  });

  it("judges a stored token on the server's clock: a device 3 h behind does not reuse one the server says has expired", async () => {
    const skewed: SessionToken = { token: "old", expiresAt: NOW + 60 * 60_000, fanId: "fan-1", clockSkewMs: 3 * 60 * 60_000 };
    sessionStorage.setItem("pushgate.session", JSON.stringify(skewed));
    const { provider, requests } = recordingProvider();
    const token = await rememberedSession(provider, sessionStorage, () => NOW)({ reason: "initial" });
    expect(requests).toEqual([{ reason: "expiring", previous: skewed }]);
    expect(token.token).toBe("tok-1");
  });

  it("renews an expired stored token with the old one, to keep the fan id", async () => {
    const stored: SessionToken = { token: "old", expiresAt: NOW - 1_000, fanId: "fan-1" };
    sessionStorage.setItem("pushgate.session", JSON.stringify(stored));
    const { provider, requests } = recordingProvider();
    const token = await rememberedSession(provider, sessionStorage, () => NOW)({ reason: "initial" });
    expect(requests).toEqual([{ reason: "expiring", previous: stored }]);
    expect(JSON.parse(sessionStorage.getItem("pushgate.session")!).token).toBe(token.token);
  });

  it("passes renewals through and remembers their result", async () => {
    const { provider, requests } = recordingProvider();
    const previous: SessionToken = { token: "refused", expiresAt: NOW + 10_000 };
    const token = await rememberedSession(provider, sessionStorage, () => NOW)({ reason: "refused", previous });
    expect(requests).toEqual([{ reason: "refused", previous }]);
    expect(JSON.parse(sessionStorage.getItem("pushgate.session")!).token).toBe(token.token);
  });

  it("takes the token another tab already renewed instead of renewing the same one again (the server renews a token once)", async () => {
    const previous: SessionToken = { token: "shared", expiresAt: NOW + 60_000, fanId: "fan-1" };
    const renewedByOtherTab: SessionToken = { token: "renewed-elsewhere", expiresAt: NOW + 1_800_000, fanId: "fan-1" };
    sessionStorage.setItem("pushgate.session", JSON.stringify(renewedByOtherTab));
    const { provider, requests } = recordingProvider();
    expect(await rememberedSession(provider, sessionStorage, () => NOW)({ reason: "expiring", previous })).toEqual(renewedByOtherTab);
    expect(requests).toEqual([]);
    // Nobody renewed it yet: this tab renews.
    sessionStorage.setItem("pushgate.session", JSON.stringify(previous));
    expect((await rememberedSession(provider, sessionStorage, () => NOW)({ reason: "expiring", previous })).token).toBe("tok-1");
  });

  it("ignores a malformed stored entry", async () => {
    sessionStorage.setItem("pushgate.session", "{not json");
    const { provider, requests } = recordingProvider();
    await rememberedSession(provider, sessionStorage, () => NOW)({ reason: "initial" });
    expect(requests).toEqual([{ reason: "initial" }]);
  });
});

/**
 * The remembered session against the testing kit's fake push server: the
 * tokens are ones its `POST /session` issued, renewals go through it, and it
 * refuses a token renewed twice as pushgate does (TOKEN_ALREADY_RENEWED), so
 * a tab that renewed what another tab already renewed would fail here.
 */
import { createPushClient, sessionEndpointTokenProvider, type SessionToken, type TokenProvider } from "@pushgate/client";
import { createFakePushServer, type FakePushServer } from "@pushgate/client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { rememberedSession } from "../src/remembered-session.js";

/** The page's provider (start.ts): POST /session on the server, remembered in this storage. */
function tab(server: FakePushServer, storage: Storage = sessionStorage): TokenProvider {
  return rememberedSession(sessionEndpointTokenProvider({ httpApiUrl: server.httpApiUrl, fetch: server.fetch }), storage, () =>
    server.now(),
  );
}
/** A provider that records what it was asked, for the cases the fake server cannot stage (a device clock hours off). */
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
const stored = (): SessionToken => JSON.parse(sessionStorage.getItem("pushgate.session")!) as SessionToken;

afterEach(() => sessionStorage.clear());

describe("rememberedSession", () => {
  it("reuses a stored token with life left in it after a reload, so the socket is the same fan's", async () => {
    const server = createFakePushServer();
    const token = await tab(server)({ reason: "initial" });
    expect(token).toMatchObject({ token: server.sessions[0]!.token, fanId: "fan-1" });

    await server.advance(60_000);
    // The reloaded page: a new client with a new provider over the same storage.
    const client = createPushClient(server.clientOptions({ tokenProvider: tab(server) }));
    client.connect();
    await server.settle();
    expect(server.sessions).toHaveLength(1);
    expect(server.connection()).toMatchObject({ fanId: "fan-1", token: token.token });
    client.close();
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
    const server = createFakePushServer({ tokenTtlMs: 10 * 60_000 });
    const first = await tab(server)({ reason: "initial" });
    await server.advance(11 * 60_000);
    const renewed = await tab(server)({ reason: "initial" });
    expect(server.sessions[1]).toMatchObject({ renewed: first.token, fanId: "fan-1" });
    expect(renewed.token).toBe(server.sessions[1]!.token);
    expect(stored().token).toBe(renewed.token);
  });

  it("passes renewals through and remembers their result", async () => {
    const server = createFakePushServer();
    const provider = tab(server);
    const previous = await provider({ reason: "initial" });
    const token = await provider({ reason: "refused", previous });
    expect(server.sessions[1]).toMatchObject({ renewed: previous.token, fanId: "fan-1" });
    expect(stored().token).toBe(token.token);
  });

  it("takes the token another tab already renewed instead of renewing the same one again (the server renews a token once)", async () => {
    const server = createFakePushServer();
    const previous = await tab(server)({ reason: "initial" });
    const renewedByOtherTab = await tab(server)({ reason: "expiring", previous });
    // This tab still holds `previous`: renewing it again would revoke the session; it takes the other tab's.
    expect(await tab(server)({ reason: "expiring", previous })).toEqual(renewedByOtherTab);
    expect(server.sessions).toHaveLength(2);
    expect(server.requests.map((request) => request.status)).toEqual([200, 200]);
  });

  it("ignores a malformed stored entry and starts a new session", async () => {
    const server = createFakePushServer();
    sessionStorage.setItem("pushgate.session", "{not json");
    const token = await tab(server)({ reason: "initial" });
    expect(server.sessions).toEqual([expect.objectContaining({ token: token.token, fanId: "fan-1" })]);
    expect(server.sessions[0]!.renewed).toBeUndefined();
  });
});

/**
 * Bring your own identity end to end (issue 15, "Show"): a stage that trusts
 * an external OIDC issuer (here the local one, as `npm start -- --issuer
 * local` runs it) beside its anonymous sessions. An RS256 and an ES256 token
 * connect, create a job and subscribe to its topic; a token from an untrusted
 * issuer, for another audience or signed with an unknown key id is refused at
 * `$connect` (401) and on the fan routes.
 */
import type { ServerFrame } from "@pushgate/core/protocol";
import { startLocalCloud, type LocalCloud } from "@pushgate/local";
import { startLocalIssuer, type LocalIssuer } from "@pushgate/local/oidc/local-issuer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectFan, refusedStatus, type Fan } from "./fan";

let cloud: LocalCloud;
let issuer: LocalIssuer;
let untrusted: LocalIssuer;
const fans: Fan[] = [];

beforeAll(async () => {
  [issuer, untrusted] = await Promise.all([startLocalIssuer(), startLocalIssuer()]);
  cloud = await startLocalCloud({
    environment: { POWERTOOLS_LOG_LEVEL: "SILENT", PUSHGATE_OIDC_ISSUER: issuer.issuer, PUSHGATE_OIDC_AUDIENCE: issuer.audience },
  });
});

afterAll(async () => {
  await Promise.all(fans.map((fan) => fan.close()));
  await cloud?.stop();
  await Promise.all([issuer?.stop(), untrusted?.stop()]);
});

async function http(method: string, path: string, token?: string, body: unknown = {}) {
  const response = await fetch(`${cloud.endpoints.httpApiUrl}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const protocols = (token: string) => ["pushgate.v1", `token.${token}`];

describe("an external issuer's tokens on $connect and the fan routes", () => {
  it.each(["RS256", "ES256"] as const)("a %s token connects, creates a job as its sub, and subscribes to that job's topic", async (alg) => {
    const sub = `user-${alg.toLowerCase()}`;
    const token = await issuer.sign({ sub }, { alg });
    const created = await http("POST", "/jobs", token, { kind: "contest-report" });
    expect(created.status).toBe(202);
    const fan = await connectFan(cloud.endpoints.websocketUrl, token);
    fans.push(fan);
    const ack = (await fan.request({ action: "subscribe", id: "j1", topics: [created.body.topic] })) as ServerFrame;
    expect(ack).toMatchObject({ type: "subscribed", id: "j1", topics: [{ topic: created.body.topic }] });
    // The job is the sub's: another account's token may not subscribe to it.
    const other = await connectFan(cloud.endpoints.websocketUrl, await issuer.sign({ sub: "someone-else" }, { alg }));
    fans.push(other);
    expect(await other.request({ action: "subscribe", id: "j2", topics: [created.body.topic] })).toMatchObject({
      type: "subscribed",
      topics: [],
      refused: [{ topic: created.body.topic, code: "FORBIDDEN" }],
    });
  });

  it("a token from an untrusted issuer, for another audience, or with an unknown key id is refused with 401", async () => {
    const kid = await issuer.rotate("RS256");
    issuer.retire(kid);
    const refused = {
      untrustedIssuer: await untrusted.sign({ sub: "alice", aud: issuer.audience }),
      wrongAudience: await issuer.sign({ sub: "alice", aud: "another-app" }),
      unknownKid: await issuer.sign({ sub: "alice" }, { kid }),
    };
    for (const [why, token] of Object.entries(refused)) {
      expect([why, await refusedStatus(cloud.endpoints.websocketUrl, protocols(token))]).toEqual([why, 401]);
      expect([why, (await http("POST", "/jobs", token, { kind: "contest-report" })).status]).toEqual([why, 401]);
    }
  });

  it("anonymous sessions still work beside it", async () => {
    const session = await http("POST", "/session");
    expect(session.status).toBe(200);
    const fan = await connectFan(cloud.endpoints.websocketUrl, session.body.token);
    fans.push(fan);
    expect(await fan.request({ action: "ping", id: "p" })).toEqual({ type: "pong", id: "p" });
  });
});

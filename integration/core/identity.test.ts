/**
 * Bring your own identity: the OIDC verifier against a real issuer (the local
 * cloud's, over HTTP: discovery, JWKS, RS256 and ES256 keys, rotation), and
 * the router that sends each token to the verifier of its issuer.
 */
import { startLocalIssuer, type LocalIssuer } from "@pushgate/local/oidc/local-issuer";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type Ports } from "@pushgate/core/app";
import { createTokenService } from "@pushgate/core/auth";
import { loadConfig } from "@pushgate/core/config";
import { PushgateError } from "@pushgate/core/errors";
import { createFanVerifier, createOidcVerifier } from "@pushgate/core/identity";

let issuer: LocalIssuer;
let stranger: LocalIssuer;
const clock = { now: () => Date.now() };

beforeAll(async () => {
  [issuer, stranger] = await Promise.all([startLocalIssuer(), startLocalIssuer()]);
});

afterAll(async () => {
  await Promise.all([issuer?.stop(), stranger?.stop()]);
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PushgateError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return "accepted";
}

const verifierFor = (options: { cooldownMs?: number } = {}) =>
  createOidcVerifier({ issuer: issuer.issuer, audience: issuer.audience, clock, ...options });

describe("an external OIDC issuer's tokens", () => {
  it("RS256 and ES256 tokens name their fan by `sub`; the JWKS is found by discovery and fetched once for many tokens", async () => {
    const verifier = verifierFor();
    const before = issuer.jwksFetches();
    expect(await verifier.verify(await issuer.sign({ sub: "alice" }, { alg: "RS256" }))).toBe("alice");
    expect(await verifier.verify(await issuer.sign({ sub: "bob" }, { alg: "ES256" }))).toBe("bob");
    for (let i = 0; i < 5; i++) await verifier.verify(await issuer.sign({ sub: `fan-${i}` }));
    expect(issuer.jwksFetches() - before).toBe(1);
  });

  it("a token of the wrong audience, an expired one, or one signed with a key the issuer does not publish is refused", async () => {
    const verifier = verifierFor();
    expect(await refusal(verifier.verify(await issuer.sign({ sub: "alice", aud: "another-app" })))).toMatch(
      /^UNAUTHORIZED: token is not for this app \(audience\)/,
    );
    expect(await refusal(verifier.verify(await issuer.sign({ sub: "alice", expiresInSeconds: -120 })))).toMatch(
      /^UNAUTHORIZED: token expired; sign in again/,
    );
    const unpublished = await issuer.rotate("RS256");
    issuer.retire(unpublished);
    expect(await refusal(verifier.verify(await issuer.sign({ sub: "alice" }, { kid: unpublished })))).toMatch(
      /^UNAUTHORIZED: token is signed with a key .* does not publish \(unknown kid\)/,
    );
  });

  it("a Cognito access token (no aud, client_id) is accepted for the configured client only", async () => {
    const verifier = verifierFor();
    // The local issuer always sets aud; an access token is made here the way Cognito shapes one.
    const accessToken = (clientId: string) => issuer.sign({ sub: "carol", aud: [], client_id: clientId, token_use: "access" });
    expect(await verifier.verify(await accessToken(issuer.audience))).toBe("carol");
    expect(await refusal(verifier.verify(await accessToken("someone-else")))).toMatch(/audience/);
  });

  it("a rotated key is picked up: a token naming a new kid fetches the JWKS again, once", async () => {
    const verifier = verifierFor({ cooldownMs: 0 });
    await verifier.verify(await issuer.sign({ sub: "alice" }, { alg: "ES256" }));
    const before = issuer.jwksFetches();
    const kid = await issuer.rotate("ES256");
    expect(await verifier.verify(await issuer.sign({ sub: "alice" }, { kid }))).toBe("alice");
    expect(await verifier.verify(await issuer.sign({ sub: "dave" }, { kid }))).toBe("dave");
    expect(issuer.jwksFetches() - before).toBe(1);
  });

  it("only RS256 and ES256: an HS256 token with the issuer's claims is refused", async () => {
    const hs256 = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(issuer.issuer)
      .setAudience(issuer.audience)
      .setSubject("mallory")
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode("x".repeat(32)));
    expect(await refusal(verifierFor().verify(hs256))).toMatch(/^UNAUTHORIZED/);
  });
});

describe("which issuers a stage trusts", () => {
  const own = createTokenService({
    secret: "a-test-secret-that-is-at-least-32-bytes-long",
    issuer: "pushgate/test",
    ttlSeconds: 1800,
    renewalGraceSeconds: 3600,
    sessionMaxSeconds: 43_200,
    clock,
  });

  it("its own anonymous sessions and its external issuer, side by side; any other issuer is refused", async () => {
    const fans = createFanVerifier({ ownIssuer: "pushgate/test", own, external: { issuer: issuer.issuer, verifier: verifierFor() } });
    const anonymous = await own.issue();
    expect(await fans.verify(anonymous.token)).toBe(anonymous.fanId);
    expect(await fans.verify(await issuer.sign({ sub: "alice" }))).toBe("alice");
    expect(await refusal(fans.verify(await stranger.sign({ sub: "alice", aud: issuer.audience })))).toMatch(
      /^UNAUTHORIZED: token issuer "http:\/\/127\.0\.0\.1:\d+" is not trusted by this stage/,
    );
    expect(await refusal(fans.verify("not-a-jwt"))).toMatch(/^UNAUTHORIZED: token is not a JWT/);
  });

  it("a stage without anonymous sessions refuses its own kind of token", async () => {
    const fans = createFanVerifier({ ownIssuer: "pushgate/test", external: { issuer: issuer.issuer, verifier: verifierFor() } });
    expect(await refusal(fans.verify((await own.issue()).token))).toMatch(/^UNAUTHORIZED: token issuer "pushgate\/test" is not trusted/);
  });

  it("a token claiming the external issuer but signed by another key set is refused by signature", async () => {
    const fans = createFanVerifier({ ownIssuer: "pushgate/test", external: { issuer: issuer.issuer, verifier: verifierFor() } });
    // The stranger signs with its own keys but writes our issuer's iss: routed to our verifier, which has no such kid.
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: "rs256-forged" })
      .setIssuer(issuer.issuer)
      .setAudience(issuer.audience)
      .setSubject("alice")
      .setExpirationTime("10m")
      .sign((await generateKeyPair("RS256")).privateKey);
    expect(await refusal(fans.verify(forged))).toMatch(/^UNAUTHORIZED/);
  });
});

describe("a stage with its own identity provider only (PUSHGATE_ANONYMOUS_SESSIONS=0)", () => {
  it("answers POST /session with FORBIDDEN saying where to sign in, and takes the provider's tokens", async () => {
    const config = loadConfig({
      AWS_REGION: "us-east-1",
      PUSHGATE_OIDC_ISSUER: issuer.issuer,
      PUSHGATE_OIDC_AUDIENCE: issuer.audience,
      PUSHGATE_ANONYMOUS_SESSIONS: "0",
    });
    // Neither path reaches a store: a refusal comes first, and verifying a token needs only the issuer.
    const secretsRead: string[] = [];
    const app = createApp(config, { clock, secret: async (name: string) => (secretsRead.push(name), "x".repeat(32)) } as unknown as Ports);
    expect(await refusal(app.startSession(undefined, "203.0.113.7"))).toBe(
      `FORBIDDEN: this stage has no anonymous sessions; sign in with ${issuer.issuer} and send its token as Bearer`,
    );
    const own = createTokenService({
      secret: "x".repeat(32),
      issuer: "pushgate/local",
      ttlSeconds: 1800,
      renewalGraceSeconds: 3600,
      sessionMaxSeconds: 43_200,
      clock,
    });
    expect(await refusal(app.snapshotsFor(`Bearer ${(await own.issue()).token}`, "game/g1"))).toMatch(
      /^UNAUTHORIZED: token issuer "pushgate\/local" is not trusted/,
    );
    expect(secretsRead).toEqual([]);
  });
});

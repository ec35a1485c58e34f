/**
 * A real OIDC issuer on 127.0.0.1, standing in for Cognito or Auth0 so the
 * bring-your-own-identity path runs offline: OIDC discovery
 * (`/.well-known/openid-configuration`), a JWKS with an RS256 and an ES256 key
 * (`/.well-known/jwks.json`), key rotation, and ID tokens for any `sub`.
 *
 * Tests sign tokens in process (`sign`); `npm start -- --issuer local` also
 * serves `POST /token` `{ "sub": "alice" }` so a developer can get one with
 * curl. It signs for whoever asks: it is a development stand-in, listening on
 * loopback only, never a login.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { closeServer, listen, readBody } from "../http-server";

export type IssuerAlgorithm = "RS256" | "ES256";

interface SigningKey {
  kid: string;
  alg: IssuerAlgorithm;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface LocalIssuer {
  /** `http://127.0.0.1:{port}`: the `iss` of its tokens and the base of its discovery document. */
  issuer: string;
  /** The audience its tokens carry unless told otherwise (the "app client id"). */
  audience: string;
  /** An ID token for `sub`, signed with the newest published key of `alg` (or with key `kid`, even one it no longer publishes). */
  sign(
    claims: { sub: string; aud?: string | string[]; expiresInSeconds?: number; [claim: string]: unknown },
    options?: { alg?: IssuerAlgorithm; kid?: string },
  ): Promise<string>;
  /** Adds a new key of `alg` and signs with it from now on; the old one stays published until `retire`. */
  rotate(alg: IssuerAlgorithm): Promise<string>;
  /** Stops publishing a key: tokens signed with it fail once verifiers refresh their JWKS. */
  retire(kid: string): void;
  /** How many times the JWKS has been fetched (caching shows as a count that does not grow). */
  jwksFetches(): number;
  stop(): Promise<void>;
}

export async function startLocalIssuer(options: { port?: number; audience?: string } = {}): Promise<LocalIssuer> {
  const keys: SigningKey[] = [];
  const published = new Set<string>();
  let fetches = 0;
  let issuer = "";
  const audience = options.audience ?? "pushgate-local";

  async function addKey(alg: IssuerAlgorithm): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
    keys.push({ kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } });
    published.add(kid);
    return kid;
  }
  await addKey("RS256");
  await addKey("ES256");

  async function sign(
    claims: Parameters<LocalIssuer["sign"]>[0],
    signOptions: { alg?: IssuerAlgorithm; kid?: string } = {},
  ): Promise<string> {
    const { sub, aud, expiresInSeconds, ...rest } = claims;
    const key = signOptions.kid
      ? keys.find((candidate) => candidate.kid === signOptions.kid)
      : keys.filter((candidate) => candidate.alg === (signOptions.alg ?? "RS256") && published.has(candidate.kid)).at(-1);
    if (!key) throw new Error(`the local issuer has no key ${signOptions.kid ?? signOptions.alg}`);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...rest, token_use: "id" })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
      .setIssuer(issuer)
      .setSubject(sub)
      .setAudience(aud ?? audience)
      .setIssuedAt(now)
      .setExpirationTime(now + (expiresInSeconds ?? 3600))
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  const json = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    response.end(JSON.stringify(body));
  };

  async function route(request: IncomingMessage, response: ServerResponse) {
    const path = new URL(request.url ?? "/", issuer).pathname;
    if (request.method === "GET" && path === "/.well-known/openid-configuration") {
      return json(response, 200, {
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        token_endpoint: `${issuer}/token`,
        id_token_signing_alg_values_supported: ["RS256", "ES256"],
        subject_types_supported: ["public"],
        response_types_supported: ["id_token"],
      });
    }
    if (request.method === "GET" && path === "/.well-known/jwks.json") {
      fetches++;
      return json(response, 200, { keys: keys.filter((key) => published.has(key.kid)).map((key) => key.publicJwk) });
    }
    if (request.method === "POST" && path === "/token") {
      const body = await readBody(request, 4096);
      let sub: unknown;
      try {
        sub = body === "too large" ? undefined : (JSON.parse(body.toString("utf8") || "{}") as { sub?: unknown }).sub;
      } catch {
        sub = undefined;
      }
      if (typeof sub !== "string" || !/^[\w@.|-]{1,128}$/.test(sub)) {
        return json(response, 400, { error: 'send {"sub": "<user name>"} (letters, digits, _ @ . | -, up to 128)' });
      }
      return json(response, 200, { id_token: await sign({ sub }), token_type: "Bearer", expires_in: 3600 });
    }
    json(response, 404, { error: `no ${request.method} ${path}; try GET /.well-known/openid-configuration` });
  }

  const server = createServer((request, response) => {
    route(request, response).catch(() => json(response, 500, { error: "the local issuer failed; see the terminal" }));
  });
  const port = await listen(server, options.port ?? 0, "127.0.0.1");
  issuer = `http://127.0.0.1:${port}`;

  return {
    issuer,
    audience,
    sign,
    rotate: addKey,
    retire: (kid) => void published.delete(kid),
    jwksFetches: () => fetches,
    stop: () => closeServer(server),
  };
}

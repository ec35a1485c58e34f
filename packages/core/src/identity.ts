/**
 * Who a fan is, from the token it presents on `$connect` and the fan routes:
 * pushgate's own anonymous session tokens (auth.ts), a trusted external OIDC
 * issuer's JWTs (Cognito, Auth0, any provider with a JWKS), or either, as the
 * stage is configured. An external token's `sub` is the fan id, so a fan's
 * jobs and places follow its account across tabs and devices.
 *
 * External tokens: RS256 or ES256 only, signed by a key of the issuer's JWKS
 * (fetched on first use, cached, and fetched again when a token names a key id
 * it has not seen, at most once per cooldown, which is how a rotation is
 * picked up), with `iss` equal to the configured issuer and the configured
 * audience in `aud` (or, for Cognito access tokens, which carry no `aud`, in
 * `client_id`). Which verifier a token goes to is chosen by its unverified
 * `iss`; the chosen verifier then checks everything.
 */
import { createRemoteJWKSet, customFetch, decodeJwt, errors, jwtVerify, type JWTPayload } from "jose";
import { PushgateError } from "./errors";
import type { Clock } from "./ports";

export const EXTERNAL_ALGORITHMS = ["RS256", "ES256"] as const;

/** The part of a token service `$connect` and the fan routes need. */
export interface FanVerifier {
  /** The fan id of a valid token; UNAUTHORIZED otherwise. */
  verify(token: string): Promise<string>;
}

export interface OidcSettings {
  /** Exactly the `iss` the provider puts in its tokens, e.g. `https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC`. */
  issuer: string;
  /** The app client id (Cognito) or API identifier (Auth0) the tokens are issued for. */
  audience: string;
  /** The JWKS; when absent, `jwks_uri` from `{issuer}/.well-known/openid-configuration`. */
  jwksUrl?: string;
}

export interface OidcVerifierOptions extends OidcSettings {
  clock: Clock;
  fetch?: typeof fetch;
  /** How long fetched keys are trusted without asking again (default 10 minutes). */
  cacheMaxAgeMs?: number;
  /** The least time between two JWKS fetches for unknown key ids (default 30 s), so forged kids cannot make us hammer the issuer. */
  cooldownMs?: number;
}

/** A fan id is used in table keys and logs: bound it. */
const MAX_FAN_ID_LENGTH = 256;

export function createOidcVerifier(options: OidcVerifierOptions): FanVerifier {
  const fetchImpl = options.fetch ?? fetch;
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;

  async function jwksUrl(): Promise<URL> {
    if (options.jwksUrl) return new URL(options.jwksUrl);
    const discovery = `${options.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const response = await fetchImpl(discovery);
    if (!response.ok)
      throw new Error(`OIDC discovery ${discovery} answered ${response.status}; set PUSHGATE_OIDC_JWKS_URL to the issuer's JWKS`);
    const { jwks_uri: uri } = (await response.json()) as { jwks_uri?: unknown };
    if (typeof uri !== "string" || !URL.canParse(uri))
      throw new Error(`OIDC discovery ${discovery} has no jwks_uri; set PUSHGATE_OIDC_JWKS_URL`);
    return new URL(uri);
  }

  async function keySet() {
    keys ??= createRemoteJWKSet(await jwksUrl(), {
      cacheMaxAge: options.cacheMaxAgeMs ?? 10 * 60_000,
      cooldownDuration: options.cooldownMs ?? 30_000,
      timeoutDuration: 5_000,
      // The same fetch as discovery, so a test can count what reaches the issuer.
      [customFetch]: (url, init) => fetchImpl(url, init),
    });
    return keys;
  }

  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, await keySet(), {
          algorithms: [...EXTERNAL_ALGORITHMS],
          issuer: options.issuer,
          requiredClaims: ["sub", "exp"],
          currentDate: new Date(options.clock.now()),
        }));
      } catch (error) {
        if (error instanceof errors.JOSEError) throw new PushgateError("UNAUTHORIZED", externalMessage(error, options.issuer));
        throw error;
      }
      const audiences = [payload.aud ?? []].flat();
      const audienceOk = audiences.length > 0 ? audiences.includes(options.audience) : payload.client_id === options.audience;
      if (!audienceOk)
        throw new PushgateError("UNAUTHORIZED", `token is not for this app (audience); sign in again with ${options.issuer}`);
      const fanId = payload.sub!;
      if (fanId.length === 0 || fanId.length > MAX_FAN_ID_LENGTH || [...fanId].some((char) => char.charCodeAt(0) < 0x20)) {
        throw new PushgateError("UNAUTHORIZED", "token sub is not usable as a fan id (1 to 256 printable characters)");
      }
      return fanId;
    },
  };
}

function externalMessage(error: errors.JOSEError, issuer: string): string {
  if (error instanceof errors.JWTExpired) return `token expired; sign in again with ${issuer}`;
  if (error instanceof errors.JWKSNoMatchingKey)
    return `token is signed with a key ${issuer} does not publish (unknown kid); sign in again`;
  if (error instanceof errors.JWTClaimValidationFailed) return `token ${error.claim} claim is not valid; sign in again with ${issuer}`;
  if (error instanceof errors.JOSEAlgNotAllowed)
    return `token algorithm is not accepted (RS256 or ES256 only); sign in again with ${issuer}`;
  return `token is not valid for ${issuer}; sign in again`;
}

/**
 * Routes each token to the verifier of its issuer: the stage's own anonymous
 * sessions (`ownIssuer`) and/or one external issuer. A token of any other
 * issuer is refused without being verified further.
 */
export function createFanVerifier(verifiers: {
  ownIssuer: string;
  own?: FanVerifier;
  external?: { issuer: string; verifier: FanVerifier };
}): FanVerifier {
  return {
    async verify(token) {
      let issuer: unknown;
      try {
        issuer = decodeJwt(token).iss;
      } catch {
        throw new PushgateError("UNAUTHORIZED", "token is not a JWT; get one with POST /session or from your sign-in provider");
      }
      if (issuer === verifiers.ownIssuer && verifiers.own) return verifiers.own.verify(token);
      if (verifiers.external && issuer === verifiers.external.issuer) return verifiers.external.verifier.verify(token);
      throw new PushgateError(
        "UNAUTHORIZED",
        `token issuer ${JSON.stringify(String(issuer)).slice(0, 120)} is not trusted by this stage; sign in with its identity provider${verifiers.own ? " or get a token with POST /session" : ""}`,
      );
    },
  };
}

/**
 * Admission tokens: what a sale service checks before it lets a fan buy.
 *
 * ES256 JWTs (claims sub = fan id, eventId, ticket, iat, exp, jti; `kid` in
 * the header) signed with the newest key of the ADMISSION_SIGNING_KEYS secret
 * and verifiable with the public keys served at GET /.well-known/jwks.json.
 *
 * The secret is a list of P-256 private keys, newest first, each the 32-byte
 * private scalar in base64url, separated by commas or whitespace. Only the
 * private scalar is stored: the public point and the key id (a SHA-256
 * thumbprint prefix of the public point) are derived, so an operator rotates
 * by writing one string and there is no kid to keep consistent by hand.
 * Rotation: put a new key first and keep the old one after it for at least
 * the longest admissionTtlSeconds, so tokens signed with it still verify;
 * then drop it. (`openssl rand -base64 32 | tr '+/' '-_' | tr -d '='` makes a key;
 * any 32 random bytes are a valid P-256 scalar except with probability ~2^-32.)
 */
import { createECDH, createHash, createPrivateKey, randomUUID, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import type { Clock } from "../ports";
import type { JwksResponse } from "../protocol";

const ALGORITHM = "ES256";

export interface AdmissionClaims {
  fanId: string;
  eventId: string;
  ticket: number;
  ttlSeconds: number;
}

export interface AdmissionSigner {
  sign(claims: AdmissionClaims): Promise<{ token: string; expiresAt: string }>;
  /** Every key of the set, public part only: a token signed with any of them verifies. */
  jwks(): JwksResponse;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JwksResponse["keys"][number];
}

/** The key set of an ADMISSION_SIGNING_KEYS value; throws a message that says how to fix the secret. */
export function parseSigningKeys(secret: string): SigningKey[] {
  const parts = secret.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) throw new Error(`ADMISSION_SIGNING_KEYS is empty; ${HOW_TO_SET}`);
  return parts.map((part, index) => {
    const d = Buffer.from(part, "base64url");
    if (d.length !== 32) throw new Error(`ADMISSION_SIGNING_KEYS key ${index + 1} is ${d.length} bytes, not 32; ${HOW_TO_SET}`);
    let point: Buffer;
    try {
      const ecdh = createECDH("prime256v1");
      ecdh.setPrivateKey(d);
      point = ecdh.getPublicKey();
    } catch {
      throw new Error(`ADMISSION_SIGNING_KEYS key ${index + 1} is not a valid P-256 private key; ${HOW_TO_SET}`);
    }
    const x = point.subarray(1, 33).toString("base64url");
    const y = point.subarray(33, 65).toString("base64url");
    const kid = createHash("sha256").update(point).digest("base64url").slice(0, 16);
    const privateKey = createPrivateKey({ key: { kty: "EC", crv: "P-256", d: part, x, y }, format: "jwk" });
    return { kid, privateKey, publicJwk: { kty: "EC", crv: "P-256", x, y, kid, alg: ALGORITHM, use: "sig" } };
  });
}

const HOW_TO_SET =
  "set it to one or more base64url 32-byte keys, newest first, e.g. `npx sst secrets set ADMISSION_SIGNING_KEYS \"$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')\"`";

export function createAdmissionSigner(options: { secret: string; issuer: string; clock: Clock }): AdmissionSigner {
  const keys = parseSigningKeys(options.secret);
  const current = keys[0]!;
  const jwks: JwksResponse = { keys: keys.map((key) => key.publicJwk) };
  return {
    async sign({ fanId, eventId, ticket, ttlSeconds }) {
      const iat = Math.floor(options.clock.now() / 1000);
      const exp = iat + ttlSeconds;
      const token = await new SignJWT({ eventId, ticket })
        .setProtectedHeader({ alg: ALGORITHM, typ: "JWT", kid: current.kid })
        .setSubject(fanId)
        .setIssuer(options.issuer)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .setJti(randomUUID())
        .sign(current.privateKey);
      return { token, expiresAt: new Date(exp * 1000).toISOString() };
    },
    jwks: () => jwks,
  };
}

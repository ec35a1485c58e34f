/**
 * Verifies AWS Signature Version 4 on a request the local cloud received, the
 * way AWS services do: the signature is recomputed from the request as it
 * arrived (canonical request, string to sign, derived key) and compared, so a
 * tampered path, query, signed header or body, a wrong secret, another service
 * or region in the scope, a stale date or an expired presigned URL is refused.
 *
 * Two forms: the `Authorization` header (SDK calls) and the query string
 * (presigned URLs). S3 differs from every other service in two ways, both
 * AWS's: its canonical path is the path as sent (others encode each segment a
 * second time), and its payload hash is the `x-amz-content-sha256` header.
 * `packages/local/test/iam/sigv4.test.ts` checks this against the AWS SDK's own signer.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export interface ReceivedRequest {
  method: string;
  /** The path as received, still percent-encoded, without the query. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface SignatureOptions {
  /** The signing name: `dynamodb` (streams too), `s3`, `ssm`, `execute-api`. */
  service: string;
  region: string;
  now: Date;
  /** The secret of an access key id this cloud issued, else undefined. */
  secretFor(accessKeyId: string): string | undefined;
}

export type SignatureProblem =
  /** Nothing that looks like a signature: an anonymous request. */
  | "missing"
  | "malformed"
  | "unknown-key"
  | "mismatch"
  /** The payload hash header does not match the body (S3's XAmzContentSHA256Mismatch). */
  | "payload-mismatch"
  | "wrong-scope"
  /** A header-signed request more than 15 minutes from now. */
  | "skewed"
  /** A presigned URL past its X-Amz-Expires. */
  | "expired";

export type SignatureCheck =
  | { ok: true; accessKeyId: string; sessionToken: string | undefined; presigned: boolean }
  | { ok: false; problem: SignatureProblem; message: string; accessKeyId?: string };

const ALGORITHM = "AWS4-HMAC-SHA256";
/** The header form, parsed in one pass: this runs for every push the fan-out posts. */
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;
/** Leading or trailing whitespace, or a run of it inside: the rare header value that needs trimming. */
const NEEDS_TRIM = /^\s|\s$|\s\s|[\t\n\r]/;
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

interface Parsed {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  presigned: boolean;
  expiresSeconds?: number;
  sessionToken: string | undefined;
  query: [string, string][];
}

export function verifySignature(request: ReceivedRequest, options: SignatureOptions): SignatureCheck {
  let parsed: Parsed | SignatureCheck;
  try {
    parsed = parse(request);
  } catch {
    return refuse("malformed", "The request's query string or path is not valid percent-encoding.");
  }
  if ("ok" in parsed) return parsed;
  const { accessKeyId } = parsed;

  const secret = options.secretFor(accessKeyId);
  if (secret === undefined) return { ...refuse("unknown-key", "The security token included in the request is invalid."), accessKeyId };
  if (parsed.service !== options.service) {
    return { ...refuse("wrong-scope", `Credential should be scoped to correct service: '${options.service}'.`), accessKeyId };
  }
  if (parsed.region !== options.region) {
    return {
      ...refuse(
        "wrong-scope",
        `Credential should be scoped to a valid region, not '${parsed.region}'; the local cloud's region is '${options.region}'.`,
      ),
      accessKeyId,
    };
  }
  const signedAt = parseAmzDate(parsed.amzDate);
  if (!signedAt || parsed.amzDate.slice(0, 8) !== parsed.scopeDate) {
    return { ...refuse("malformed", "X-Amz-Date is missing, malformed, or not the date of the credential scope."), accessKeyId };
  }
  if (parsed.presigned) {
    const expires = parsed.expiresSeconds!;
    if (options.now.getTime() > signedAt.getTime() + expires * 1000) return { ...refuse("expired", "Request has expired"), accessKeyId };
  } else if (Math.abs(options.now.getTime() - signedAt.getTime()) > MAX_SKEW_MS) {
    return {
      ...refuse(
        "skewed",
        `Signature expired: ${parsed.amzDate} is more than 15 minutes from the server's time ${toAmzDate(options.now)}; fix the client's clock.`,
      ),
      accessKeyId,
    };
  }

  const payloadHash = payloadHashOf(request, parsed, options.service);
  if (payloadHash === undefined) {
    return { ...refuse("payload-mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."), accessKeyId };
  }
  const canonicalHeaders: string[] = [];
  for (const name of parsed.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return { ...refuse("mismatch", `Signed header '${name}' is missing from the request.`), accessKeyId };
    const text = typeof value === "string" ? value : value.join(",");
    canonicalHeaders.push(`${name}:${NEEDS_TRIM.test(text) ? text.trim().replace(/\s+/g, " ") : text}\n`);
  }
  const canonicalRequest = [
    request.method.toUpperCase(),
    options.service === "s3" ? request.path || "/" : doubleEncodedPath(request.path),
    canonicalQuery(parsed.query),
    canonicalHeaders.join(""),
    parsed.signedHeaders.join(";"),
    payloadHash,
  ].join("\n");
  const scope = `${parsed.scopeDate}/${parsed.region}/${parsed.service}/aws4_request`;
  const stringToSign = [ALGORITHM, parsed.amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const expected = createHmac("sha256", signingKey(secret, parsed.scopeDate, parsed.region, parsed.service))
    .update(stringToSign)
    .digest();
  const given = Buffer.from(parsed.signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ...refuse(
        "mismatch",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
      ),
      accessKeyId,
    };
  }
  return { ok: true, accessKeyId, sessionToken: parsed.sessionToken, presigned: parsed.presigned };
}

const refuse = (problem: SignatureProblem, message: string): SignatureCheck => ({ ok: false, problem, message });

function parse(request: ReceivedRequest): Parsed | SignatureCheck {
  const query: [string, string][] =
    request.query === ""
      ? []
      : request.query.split("&").map((pair): [string, string] => {
          const equals = pair.indexOf("=");
          const [key, value] = equals < 0 ? [pair, ""] : [pair.slice(0, equals), pair.slice(equals + 1)];
          return [decodeURIComponent(key), decodeURIComponent(value)];
        });
  const param = (name: string) => query.find(([key]) => key === name)?.[1];
  const authorization = request.headers.authorization;

  if (authorization !== undefined) {
    if (!authorization.startsWith(`${ALGORITHM} `)) return refuse("malformed", `Only ${ALGORITHM} (Signature Version 4) is supported.`);
    const fields = AUTHORIZATION.exec(authorization);
    if (!fields) return refuse("malformed", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.");
    const [, accessKeyId, scopeDate, region, service, signedHeaders, signature] = fields as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const amzDate = first(request.headers["x-amz-date"] ?? request.headers.date) ?? "";
    const sessionToken = first(request.headers["x-amz-security-token"]);
    return {
      accessKeyId,
      scopeDate,
      region,
      service,
      signedHeaders: signedHeaders.split(";"),
      signature,
      amzDate,
      presigned: false,
      sessionToken,
      query,
    };
  }

  if (param("X-Amz-Signature") !== undefined || param("X-Amz-Algorithm") !== undefined) {
    const credential = parseCredential(param("X-Amz-Credential"));
    const expiresSeconds = Number(param("X-Amz-Expires"));
    const signature = param("X-Amz-Signature") ?? "";
    if (param("X-Amz-Algorithm") !== ALGORITHM || !credential || !/^[0-9a-f]{64}$/.test(signature) || !param("X-Amz-SignedHeaders")) {
      return refuse(
        "malformed",
        "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
      );
    }
    if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGN_SECONDS) {
      return refuse("malformed", "X-Amz-Expires must be an integer from 1 to 604800 (seven days).");
    }
    return {
      ...credential,
      signedHeaders: param("X-Amz-SignedHeaders")!.split(";"),
      signature,
      amzDate: param("X-Amz-Date") ?? "",
      presigned: true,
      expiresSeconds,
      sessionToken: param("X-Amz-Security-Token"),
      query: query.filter(([key]) => key !== "X-Amz-Signature"),
    };
  }
  return refuse("missing", "Missing Authentication Token");
}

function parseCredential(credential: string | undefined) {
  const parts = credential?.split("/");
  if (parts?.length !== 5 || parts[4] !== "aws4_request" || !parts[0]) return undefined;
  const [accessKeyId, scopeDate, region, service] = parts as [string, string, string, string];
  return { accessKeyId, scopeDate, region, service };
}

function payloadHashOf(request: ReceivedRequest, parsed: Parsed, service: string): string | undefined {
  const declared = first(request.headers["x-amz-content-sha256"]);
  if (parsed.presigned) return service === "s3" ? UNSIGNED_PAYLOAD : (declared ?? bodyHash(request.body));
  if (declared === undefined) return bodyHash(request.body);
  // A hash that claims to be the body's must be; UNSIGNED-PAYLOAD and the streaming forms are signed as written.
  if (/^[0-9a-f]{64}$/.test(declared) && declared !== bodyHash(request.body)) return undefined;
  return declared;
}

/**
 * The body's sha256, remembering the last body: a fan-out posts one message
 * to every subscriber, so @connections receives the same bytes a thousand
 * times in a row. Comparing them (a memcmp) costs far less than hashing them
 * again; any other body is hashed as before.
 */
const MAX_REMEMBERED_BODY_BYTES = 128 * 1024;
let lastBody: Buffer | undefined;
let lastBodyHash = "";
function bodyHash(body: Buffer): string {
  if (lastBody !== undefined && body.length === lastBody.length && body.equals(lastBody)) return lastBodyHash;
  const hash = sha256Hex(body);
  // Only message-sized bodies are kept (a PostToConnection is at most 128 KB); an S3 upload is hashed and let go.
  if (body.length <= MAX_REMEMBERED_BODY_BYTES) {
    lastBody = Buffer.from(body);
    lastBodyHash = hash;
  }
  return hash;
}

/** Every service but S3: the path normalized, then each segment encoded again on top of its wire encoding. */
function doubleEncodedPath(path: string): string {
  const segments: string[] = [];
  for (const segment of (path || "/").split("/")) {
    if (segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const normalized = segments.map(escapeUri).join("/");
  return normalized.startsWith("/") ? normalized : `/${normalized}`;
}

function canonicalQuery(pairs: [string, string][]): string {
  return pairs
    .map(([key, value]) => [escapeUri(key), escapeUri(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
}

/** RFC 3986 unreserved characters stay; everything else is %XX, as AWS encodes. */
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const escapeUri = (text: string) => (UNRESERVED.test(text) ? text : escapeUriSlow(text));
const escapeUriSlow = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

const sha256Hex = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

const keyCache = new Map<string, Buffer>();
/** The derived key changes once a day per secret, region and service: computed once, not per request. */
function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = `${secret}\n${date}\n${region}\n${service}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    const hmac = (keyBytes: string | Buffer, data: string) => createHmac("sha256", keyBytes).update(data).digest();
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
    if (keyCache.size > 1000) keyCache.clear();
    keyCache.set(cacheKey, key);
  }
  return key;
}

function parseAmzDate(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}

const toAmzDate = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

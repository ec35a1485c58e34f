/**
 * SigV4 for service execute-api, for the lean Management API client, written
 * for its one request shape with node:crypto: the signing key is derived once
 * per day, region and credentials; the signed-header list and the
 * Authorization prefix once per header shape and credentials; x-amz-date once
 * per second; the body's sha256 once per body (a fan-out posts one body to
 * every subscriber). Per request: the canonical request from a template, one
 * sha256 of it and one HMAC. The profile of a 1,000-subscriber fan-out had
 * @smithy/signature-v4's generic path (request clone, ten awaits, a creds HMAC
 * per call for its cache key, JS hex) at ~16% of the server's CPU.
 *
 * The output is byte-for-byte @smithy/signature-v4's (`uriEscapePath: true`,
 * x-amz-content-sha256 sent), checked by a property test against it
 * (test/execute-api-signer.property.test.ts). A request outside the shape this
 * path handles (a header that is not lowercase, or one SigV4 generates,
 * drops or treats specially) is signed by @smithy/signature-v4 itself.
 *
 * Credentials come from the SDK's default provider chain, memoized and
 * refreshed before they expire (a Lambda's role credentials carry a session
 * token and expire); the provider is asked on every request, which is a cached
 * promise between refreshes.
 */
import { createHash, createHmac } from "node:crypto";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";

export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface UnsignedRequest {
  method: "POST" | "GET" | "DELETE";
  protocol: string;
  hostname: string;
  port?: number;
  /** Already URL-encoded, as it is sent; the signer encodes it once more for the canonical request, as the SDK does for execute-api. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface ExecuteApiSigner {
  /**
   * The headers to send: the request's own plus host, x-amz-content-sha256, x-amz-date,
   * x-amz-security-token (when the credentials have one) and authorization.
   * `signingDate` (default: now) is for tests.
   */
  sign(request: UnsignedRequest, signingDate?: Date): Promise<Record<string, string>>;
}

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SERVICE = "execute-api";

/** Header names this path does not take from the caller: generated, unsignable or specially treated by SigV4. */
const SPECIAL_HEADERS = new Set([
  "authorization",
  "x-amz-date",
  "date",
  "host",
  "x-amz-content-sha256",
  "x-amz-security-token",
  "cache-control",
  "connection",
  "expect",
  "from",
  "keep-alive",
  "max-forwards",
  "pragma",
  "referer",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "x-amzn-trace-id",
  "__proto__",
]);
const fastHeaderName = (name: string) =>
  /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name) && !SPECIAL_HEADERS.has(name) && !/^(proxy|sec)-/.test(name);

/** As @smithy/signature-v4 canonicalizes a header value (three replaces, skipped when none would change anything). */
const NEEDS_CANONICALIZING = /[\r\n\t]| {2}|^ | $/;
const canonicalValue = (value: string) =>
  NEEDS_CANONICALIZING.test(value)
    ? value
        .replace(/[\r\n]/g, " ")
        .replace(/[ \t]+/g, " ")
        .replace(/^ | $/g, "")
    : value;

/** @smithy/core's escapeUri. */
const hexEncode = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
const escapeUri = (uri: string) => encodeURIComponent(uri).replace(/[!'()*]/g, hexEncode);

const DOT_OR_EMPTY_SEGMENT = /\/\/|\/\.\.?(\/|$)|\/$/;

/** @smithy/signature-v4's canonical path with uriEscapePath: dot segments and empty segments removed, then encoded once more. */
export function canonicalPath(path: string): string {
  // The lean client's paths (`/{stage}/@connections/{encoded id}`) have no empty or dot segment: encode at once.
  if (path.charCodeAt(0) === 47 && !DOT_OR_EMPTY_SEGMENT.test(path)) return escapeUri(path).replace(/%2F/g, "/");
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment.length === 0 || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith("/") ? "/" : ""}${segments.join("/")}${segments.length > 0 && path.endsWith("/") ? "/" : ""}`;
  return escapeUri(normalized).replace(/%2F/g, "/");
}

interface HeaderShape {
  /** The caller's header names, in canonical (sorted) order, and where the generated ones fall among them. */
  names: string[];
  signedHeaders: string;
}

interface KeyEntry {
  shortDate: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | undefined;
  key: Buffer;
  scope: string;
  /** `AWS4-HMAC-SHA256 Credential={id}/{scope}, SignedHeaders=` */
  credentialPrefix: string;
  canonicalToken: string | undefined;
}

export function executeApiSigner(region: string, credentials: Credentials = defaultProvider()): ExecuteApiSigner {
  const provider: () => AwsCredentialIdentity | Promise<AwsCredentialIdentity> =
    typeof credentials === "function" ? credentials : () => credentials;
  let fallback: SignatureV4 | undefined;
  const generic = () =>
    (fallback ??= new SignatureV4({ service: SERVICE, region, credentials, sha256: Hash.bind(null, "sha256"), uriEscapePath: true }));

  // A fan-out posts the same body to every subscriber: hash it once, not once per subscriber.
  let lastBody: Buffer | undefined;
  let lastBodyHash = EMPTY_SHA256;
  const payloadHash = (body: Buffer | undefined) => {
    if (!body) return EMPTY_SHA256;
    if (body !== lastBody && !(lastBody && body.equals(lastBody))) {
      lastBody = body;
      lastBodyHash = createHash("sha256").update(body).digest("hex");
    }
    return lastBodyHash;
  };

  // x-amz-date, once per second.
  let lastSecond = Number.NaN;
  let lastLongDate = "";
  const longDateOf = (date: Date) => {
    const second = Math.floor(date.getTime() / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      lastLongDate = date
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z")
        .replace(/[-:]/g, "");
    }
    return lastLongDate;
  };

  // The signing key, once per day and credentials.
  let keyEntry: KeyEntry | undefined;
  const keyFor = (creds: AwsCredentialIdentity, shortDate: string): KeyEntry => {
    const entry = keyEntry;
    if (
      entry &&
      entry.shortDate === shortDate &&
      entry.accessKeyId === creds.accessKeyId &&
      entry.secretAccessKey === creds.secretAccessKey &&
      entry.sessionToken === creds.sessionToken
    ) {
      return entry;
    }
    let key: Buffer | string = `AWS4${creds.secretAccessKey}`;
    for (const part of [shortDate, region, SERVICE, "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
    const scope = `${shortDate}/${region}/${SERVICE}/aws4_request`;
    return (keyEntry = {
      shortDate,
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      sessionToken: creds.sessionToken,
      key: key as Buffer,
      scope,
      credentialPrefix: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=`,
      canonicalToken: creds.sessionToken ? canonicalValue(creds.sessionToken) : undefined,
    });
  };

  // The signed-header list per shape (the caller's header names, and whether a token is signed).
  const shapes = new Map<string, HeaderShape | null>();
  const shapeOf = (headers: Record<string, string>, withToken: boolean): HeaderShape | null => {
    const callerNames = Object.keys(headers);
    const id = `${withToken ? 1 : 0}${callerNames.join("\n")}`;
    let shape = shapes.get(id);
    if (shape === undefined) {
      shape = callerNames.every(fastHeaderName)
        ? (() => {
            const names = [
              ...callerNames,
              "host",
              "x-amz-content-sha256",
              "x-amz-date",
              ...(withToken ? ["x-amz-security-token"] : []),
            ].sort();
            return { names, signedHeaders: names.join(";") };
          })()
        : null;
      if (shapes.size < 64) shapes.set(id, shape);
    }
    return shape;
  };

  async function signGeneric(request: UnsignedRequest, host: string, bodyHash: string, signingDate: Date | undefined) {
    const signed = await generic().sign(
      // The signer takes a precomputed x-amz-content-sha256 as the payload hash (the SDK sends this header too).
      { ...request, query: {}, headers: { ...request.headers, host, "x-amz-content-sha256": bodyHash } },
      signingDate ? { signingDate } : undefined,
    );
    return signed.headers;
  }

  return {
    async sign(request, signingDate) {
      const host = request.port ? `${request.hostname}:${request.port}` : request.hostname;
      const bodyHash = payloadHash(request.body);
      const maybe = provider();
      const creds = maybe instanceof Promise ? await maybe : maybe;
      if (typeof creds !== "object" || typeof creds.accessKeyId !== "string" || typeof creds.secretAccessKey !== "string") {
        throw new Error("Resolved credential object is not valid");
      }
      const token = creds.sessionToken || undefined;
      const shape = shapeOf(request.headers, token !== undefined);
      if (!shape) return signGeneric(request, host, bodyHash, signingDate);

      const longDate = longDateOf(signingDate ?? new Date());
      const entry = keyFor(creds, longDate.slice(0, 8));
      let canonicalHeaders = "";
      for (const name of shape.names) {
        const value =
          name === "host"
            ? canonicalValue(host)
            : name === "x-amz-content-sha256"
              ? bodyHash
              : name === "x-amz-date"
                ? longDate
                : name === "x-amz-security-token"
                  ? entry.canonicalToken!
                  : canonicalValue(request.headers[name]!);
        canonicalHeaders += `${name}:${value}\n`;
      }
      const canonicalRequest = `${request.method}\n${canonicalPath(request.path)}\n\n${canonicalHeaders}\n${shape.signedHeaders}\n${bodyHash}`;
      const stringToSign = `AWS4-HMAC-SHA256\n${longDate}\n${entry.scope}\n${createHash("sha256").update(canonicalRequest).digest("hex")}`;
      const signature = createHmac("sha256", entry.key).update(stringToSign).digest("hex");

      const headers: Record<string, string> = { ...request.headers, host, "x-amz-content-sha256": bodyHash, "x-amz-date": longDate };
      if (token !== undefined) headers["x-amz-security-token"] = token;
      headers.authorization = `${entry.credentialPrefix}${shape.signedHeaders}, Signature=${signature}`;
      return headers;
    },
  };
}

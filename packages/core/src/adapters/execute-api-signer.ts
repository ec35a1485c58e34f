/**
 * SigV4 for service execute-api, for the lean Management API client. One
 * signer per client: @smithy/signature-v4 caches the derived signing key per
 * day, region and credentials, so building a signer per request would redo four
 * HMACs every time. Hashing uses node's crypto (@smithy/hash-node), not the
 * pure-JS sha256. Credentials come from the SDK's default provider chain,
 * memoized and refreshed before they expire (a Lambda's role credentials carry
 * a session token and expire); the signer asks the provider on every request,
 * which is a cached promise between refreshes.
 */
import { createHash } from "node:crypto";
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
  /** The headers to send: the request's own plus host, x-amz-date, x-amz-content-sha256, x-amz-security-token (when the credentials have one) and authorization. */
  sign(request: UnsignedRequest): Promise<Record<string, string>>;
}

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export function executeApiSigner(region: string, credentials: Credentials = defaultProvider()): ExecuteApiSigner {
  const signer = new SignatureV4({ service: "execute-api", region, credentials, sha256: Hash.bind(null, "sha256"), uriEscapePath: true });
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

  return {
    async sign(request) {
      const host = request.port ? `${request.hostname}:${request.port}` : request.hostname;
      const signed = await signer.sign({
        ...request,
        query: {},
        // The signer takes a precomputed x-amz-content-sha256 as the payload hash (the SDK sends this header too).
        headers: { ...request.headers, host, "x-amz-content-sha256": payloadHash(request.body) },
      });
      return signed.headers;
    },
  };
}

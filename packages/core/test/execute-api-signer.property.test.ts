/**
 * The hand-written execute-api SigV4 (src/adapters/execute-api-signer.ts) must
 * sign exactly as @smithy/signature-v4 does: for random connection ids (with
 * `/`, `+`, `=` and non-ASCII), stages, bodies, dates, regions and credentials
 * with and without a session token, every header it returns (Authorization,
 * X-Amz-*, host and the request's own) equals what @smithy/signature-v4
 * (pure-JS sha256, computing the payload hash itself) produces for the same
 * request. One signer per region is reused across runs, so its caches (signing
 * key per day and credentials, x-amz-date per second, body hash, header
 * shapes) are exercised as credentials, days and bodies change under them.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity } from "@smithy/types";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalPath, executeApiSigner, type ExecuteApiSigner, type UnsignedRequest } from "../src/adapters/execute-api-signer";

const idChar = fc.constantFrom(..."abcXYZ019/+=-_.~!*'()@ %&?#é漢".split(""), "😀");
const connectionId = fc.oneof(
  { arbitrary: fc.string({ unit: idChar, minLength: 1, maxLength: 24 }), weight: 8 },
  fc.constantFrom(".", "..", "...", ".a"),
);
/** Stages as the client builds paths from its endpoint, plus dot and empty segments (the signer's slow path). */
const stagePath = fc.constantFrom("/prod", "/dev", "", "/", "/v1/stage", "/a.b", "/st%20age", "/a/./b", "/x/../y", "//p", "/..", "/...");
const region = fc.oneof(fc.constantFrom("us-east-1", "eu-west-2", "ap-southeast-2"), fc.stringMatching(/^[a-z]{2}-[a-z]{2,9}-[0-9]$/));
const token = fc.stringMatching(/^[A-Za-z0-9/+= ]{1,80}$/);
const credentials = fc.record(
  {
    accessKeyId: fc.stringMatching(/^[A-Z0-9]{4,20}$/),
    secretAccessKey: fc.string({ minLength: 1, maxLength: 40 }),
    sessionToken: fc.option(fc.oneof(token, fc.constant("")), { nil: undefined }),
  },
  { requiredKeys: ["accessKeyId", "secretAccessKey"] },
);
const date = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true });
const body = fc.option(
  fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    fc.constant(Buffer.from('{"type":"message"}')),
  ),
  { nil: undefined },
);
/** Headers a caller may add: lowercase ones take the fast path; others (capitals, unsignable, proxy-) the generic one. */
const extraHeaders = fc.dictionary(
  fc.oneof(
    fc.stringMatching(/^x-[a-z0-9-]{1,12}$/),
    fc.constantFrom("Content-Language", "user-agent", "proxy-auth", "X-Amz-Meta", "accept"),
  ),
  fc.string({ unit: fc.constantFrom(..."ab 1\t=/".split("")), maxLength: 12 }),
  { maxKeys: 2 },
);

const signers = new Map<string, ExecuteApiSigner>();
let current: AwsCredentialIdentity = { accessKeyId: "X", secretAccessKey: "y" };
const signerFor = (regionName: string) => {
  let signer = signers.get(regionName);
  if (!signer) signers.set(regionName, (signer = executeApiSigner(regionName, async () => current)));
  return signer;
};

async function reference(request: UnsignedRequest, regionName: string, creds: AwsCredentialIdentity, signingDate: Date) {
  const signer = new SignatureV4({ service: "execute-api", region: regionName, credentials: creds, sha256: Sha256 });
  const host = request.port ? `${request.hostname}:${request.port}` : request.hostname;
  const signed = await signer.sign({ ...request, query: {}, headers: { ...request.headers, host } }, { signingDate });
  return signed.headers;
}

describe("execute-api SigV4 by hand", () => {
  it("signs every request byte-for-byte as @smithy/signature-v4 does", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          id: connectionId,
          stage: stagePath,
          region,
          creds: credentials,
          date,
          body,
          extra: extraHeaders,
          port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        }),
        async ({ id, stage, region: regionName, creds, date: signingDate, body: payload, extra, port }) => {
          const request: UnsignedRequest = {
            method: payload ? "POST" : "DELETE",
            protocol: "https:",
            hostname: "abc123.execute-api.example.com",
            ...(port && { port }),
            path: `${stage}/@connections/${encodeURIComponent(id)}`,
            headers: {
              ...extra,
              ...(payload ? { "content-type": "application/octet-stream", "content-length": String(payload.length) } : {}),
            },
            ...(payload && { body: payload }),
          };
          current = creds;
          const ours = await signerFor(regionName).sign(request, signingDate);
          expect(ours).toEqual(await reference(request, regionName, creds, signingDate));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("signs the lean client's own shapes (POST with a body, DELETE) on the fast path, equal to the reference, across a day boundary", async () => {
    const creds = { accessKeyId: "ASIAKEY", secretAccessKey: "secret", sessionToken: "tok/en+=" };
    current = creds;
    const signer = executeApiSigner("us-east-1", creds);
    for (const at of ["2026-11-22T23:59:59.999Z", "2026-11-23T00:00:00.000Z", "2026-11-23T00:00:00.500Z"]) {
      const requests: UnsignedRequest[] = [
        {
          method: "POST",
          protocol: "http:",
          hostname: "127.0.0.1",
          port: 3001,
          path: "/prod/@connections/a%2Fb%2B%3D",
          headers: { "content-type": "application/octet-stream", "content-length": "2" },
          body: Buffer.from("{}"),
        },
        { method: "DELETE", protocol: "http:", hostname: "127.0.0.1", port: 3001, path: "/prod/@connections/a%2Fb%2B%3D", headers: {} },
      ];
      for (const request of requests) {
        expect(await signer.sign(request, new Date(at))).toEqual(await reference(request, "us-east-1", creds, new Date(at)));
      }
    }
  });

  it("builds the canonical path as the SDK does (dot and empty segments, double encoding)", () => {
    expect(canonicalPath("/prod/@connections/a%2Fb%3D")).toBe("/prod/%40connections/a%252Fb%253D");
    expect(canonicalPath("//@connections/x")).toBe("/%40connections/x");
    expect(canonicalPath("/a/./b/../c/")).toBe("/a/c/");
    expect(canonicalPath("/a/.../b")).toBe("/a/.../b");
    expect(canonicalPath("/")).toBe("/");
  });

  it("rejects credentials without an access key id or a secret, as the SDK does", async () => {
    const signer = executeApiSigner("us-east-1", async () => ({}) as AwsCredentialIdentity);
    await expect(signer.sign({ method: "DELETE", protocol: "http:", hostname: "h", path: "/p", headers: {} })).rejects.toThrow(
      "Resolved credential object is not valid",
    );
  });
});

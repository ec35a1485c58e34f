/**
 * The verifier against the AWS SDK's own signer (@smithy/signature-v4): what
 * the SDK signs verifies, byte-for-byte changes to what it signed do not, for
 * both canonicalizations (S3's and everyone else's) and both forms (header
 * and presigned URL).
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { HttpRequest } from "@smithy/protocol-http";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { verifySignature, type ReceivedRequest } from "../../src/iam/sigv4";

const credentials = { accessKeyId: "ASIATESTKEY", secretAccessKey: "test-secret" };
const region = "us-east-1";
const now = new Date("2026-11-29T12:00:00Z");
const secretFor = (id: string) => (id === credentials.accessKeyId ? credentials.secretAccessKey : undefined);

/** The request as a server receives it: the path and query as they appear on the wire. */
function received(request: HttpRequest, body = ""): ReceivedRequest {
  const query = Object.entries(request.query ?? {})
    .flatMap(([key, value]) => [value ?? ""].flat().map((item) => `${encodeURIComponent(key)}=${encodeURIComponent(String(item))}`))
    .join("&");
  return {
    method: request.method,
    path: request.path,
    query,
    headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
    body: Buffer.from(body),
  };
}

async function signed(service: string, path: string, body: string, query: Record<string, string> = {}) {
  const signer = new SignatureV4({
    credentials,
    region,
    service,
    sha256: Sha256,
    uriEscapePath: service !== "s3",
    applyChecksum: service === "s3",
  });
  const request = new HttpRequest({
    method: "POST",
    protocol: "http:",
    hostname: "127.0.0.1",
    port: 4000,
    path,
    query,
    headers: { host: "127.0.0.1:4000", "content-type": "application/json" },
    body,
  });
  return (await signer.sign(request, { signingDate: now })) as HttpRequest;
}

const segment = fc
  .stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@%-]{1,12}$/)
  .filter((text) => text !== "." && text !== ".." && !/%(?![0-9A-F]{2})/.test(text));

describe("SigV4 verification", () => {
  it("accepts what the AWS SDK signs, for any path, query and body, in S3's canonical form and the others'", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("execute-api", "dynamodb", "s3"),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.dictionary(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,8}$/), fc.string({ maxLength: 10 }), { maxKeys: 3 }),
        fc.string({ maxLength: 200 }),
        async (service, segments, query, body) => {
          const request = await signed(service, `/${segments.join("/")}`, body, query);
          const check = verifySignature(received(request, body), { service, region, now, secretFor });
          expect(check).toMatchObject({ ok: true, accessKeyId: credentials.accessKeyId });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("refuses a changed body, path, query, signed header, another secret, another service or region, and a stale date", async () => {
    const request = await signed("execute-api", "/local/@connections/abc%3D", '{"n":1}', { a: "1" });
    const ok = received(request, '{"n":1}');
    const verify = (changed: Partial<ReceivedRequest>, options: Partial<Parameters<typeof verifySignature>[1]> = {}) =>
      verifySignature({ ...ok, ...changed }, { service: "execute-api", region, now, secretFor, ...options });
    expect(verify({})).toMatchObject({ ok: true });
    expect(verify({ body: Buffer.from('{"n":2}') })).toMatchObject({ ok: false, problem: "mismatch" });
    expect(verify({ path: "/local/@connections/abd%3D" })).toMatchObject({ ok: false, problem: "mismatch" });
    expect(verify({ query: "a=2" })).toMatchObject({ ok: false, problem: "mismatch" });
    expect(verify({ headers: { ...ok.headers, "content-type": "text/plain" } })).toMatchObject({ ok: false, problem: "mismatch" });
    expect(verify({}, { secretFor: () => "another-secret" })).toMatchObject({ ok: false, problem: "mismatch" });
    expect(verify({}, { secretFor: () => undefined })).toMatchObject({ ok: false, problem: "unknown-key" });
    expect(verify({}, { service: "dynamodb" })).toMatchObject({ ok: false, problem: "wrong-scope" });
    expect(verify({}, { region: "eu-west-1" })).toMatchObject({ ok: false, problem: "wrong-scope" });
    expect(verify({}, { now: new Date(now.getTime() + 16 * 60_000) })).toMatchObject({ ok: false, problem: "skewed" });
    const { authorization: _, ...unsigned } = ok.headers;
    expect(verify({ headers: unsigned })).toMatchObject({ ok: false, problem: "missing" });
  });

  it("checks a declared payload hash against each body, also when the same body just verified (the remembered hash serves equal bytes only)", async () => {
    const verify = (request: ReceivedRequest) => verifySignature(request, { service: "execute-api", region, now, secretFor });
    const declared = (body: string) => createHash("sha256").update(body).digest("hex");
    const post = async (body: string) => {
      const request = await signed("execute-api", "/local/@connections/abc", body);
      return received(request, body);
    };
    const first = await post('{"n":1}');
    const withHash = { ...first, headers: { ...first.headers, "x-amz-content-sha256": declared('{"n":1}') } };
    // A fan-out: the same bytes many times in a row, each verified.
    for (let index = 0; index < 3; index++) expect(verify(withHash)).toMatchObject({ ok: true });
    // Same length, other bytes, right after: the declared hash is the old body's, so it is refused.
    expect(verify({ ...withHash, body: Buffer.from('{"n":2}') })).toMatchObject({ ok: false, problem: "payload-mismatch" });
    expect(verify(withHash)).toMatchObject({ ok: true });
  });

  it("accepts a presigned S3 URL until it expires, and refuses it once changed", async () => {
    const client = new S3Client({ region, credentials, endpoint: "http://127.0.0.1:4000", forcePathStyle: true });
    const url = new URL(
      await getSignedUrl(client, new GetObjectCommand({ Bucket: "bucket", Key: "snapshots/game/g1.json" }), {
        expiresIn: 60,
        signingDate: now,
      }),
    );
    const presigned: ReceivedRequest = {
      method: "GET",
      path: url.pathname,
      query: url.search.slice(1),
      headers: { host: url.host },
      body: Buffer.alloc(0),
    };
    const verify = (at: Date, changed: Partial<ReceivedRequest> = {}) =>
      verifySignature({ ...presigned, ...changed }, { service: "s3", region, now: at, secretFor });
    expect(verify(new Date(now.getTime() + 59_000))).toMatchObject({ ok: true, presigned: true });
    expect(verify(new Date(now.getTime() + 61_000))).toMatchObject({ ok: false, problem: "expired" });
    expect(verify(now, { path: "/bucket/snapshots/game/g2.json" })).toMatchObject({ ok: false, problem: "mismatch" });
  });
});

/**
 * What only the lean Management API client does itself, checked on the wire
 * with a tiny HTTP server that captures each request: a SigV4 signature for
 * execute-api in the right region that an independent signer reproduces, the
 * session token of temporary credentials (a Lambda's), and a deadline on each
 * attempt.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeanManagementApiGateway } from "../src/adapters/lean-management-api-gateway";
import { GatewayUnavailableError } from "../src/errors";

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: Server;
let base: string;
let port: number;
let captured: Captured[] = [];
let silent = false;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      captured.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks) });
      if (!silent) response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

const temporary = { accessKeyId: "ASIATESTKEY", secretAccessKey: "test-secret", sessionToken: "session-token/xyz=" };
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/execute-api\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/** Signs the captured request again with a separate signer (pure-JS sha256) at the captured x-amz-date. */
async function expectedAuthorization(
  request: Captured,
  region: string,
  credentials: typeof temporary | Omit<typeof temporary, "sessionToken">,
) {
  const signedHeaders = AUTHORIZATION.exec(request.headers.authorization!)![4]!.split(";");
  const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(request.headers[name])]));
  const amzDate = headers["x-amz-date"]!;
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13)}`,
  );
  const signer = new SignatureV4({ service: "execute-api", region, credentials, sha256: Sha256 });
  const signed = await signer.sign(
    { method: request.method, protocol: "http:", hostname: "127.0.0.1", port, path: request.url, query: {}, headers, body: request.body },
    { signingDate },
  );
  return signed.headers.authorization;
}

describe("lean Management API client on the wire", () => {
  it("signs a POST for execute-api in its region, with the session token, and the signature checks out", async () => {
    captured = [];
    const gateway = new LeanManagementApiGateway({
      endpoint: `${base}/prod`,
      region: "eu-west-2",
      credentials: temporary,
      maxSockets: 2,
      timeoutMs: 2_000,
    });
    try {
      expect(await gateway.post("abc=/+", '{"n":1}')).toBe("ok");
      expect(await gateway.post("second", '{"n":1}')).toBe("ok");
    } finally {
      gateway.close();
    }
    const [first, second] = captured;
    expect(first!.method).toBe("POST");
    expect(first!.url).toBe("/prod/@connections/abc%3D%2F%2B");
    expect(first!.body.toString()).toBe('{"n":1}');
    expect(first!.headers["content-type"]).toBe("application/octet-stream");
    expect(first!.headers["x-amz-security-token"]).toBe(temporary.sessionToken);
    // The payload hash is precomputed once per body: it must still be the hash of what was sent.
    expect(first!.headers["x-amz-content-sha256"]).toBe(createHash("sha256").update(first!.body).digest("hex"));

    const [, accessKey, , region, signedHeaders] = AUTHORIZATION.exec(first!.headers.authorization ?? "") ?? [];
    expect(accessKey).toBe(temporary.accessKeyId);
    expect(region).toBe("eu-west-2");
    expect(signedHeaders!.split(";")).toEqual(
      expect.arrayContaining(["host", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]),
    );
    for (const request of [first!, second!]) {
      expect(request.headers.authorization).toBe(await expectedAuthorization(request, "eu-west-2", temporary));
    }
  });

  it("sends no session token header for long-term credentials, and signs DELETE without a body", async () => {
    captured = [];
    const longTerm = { accessKeyId: "AKIATESTKEY", secretAccessKey: "test-secret" };
    const gateway = new LeanManagementApiGateway({
      endpoint: `${base}/dev/`,
      region: "us-east-1",
      credentials: longTerm,
      maxSockets: 1,
      timeoutMs: 2_000,
    });
    try {
      await gateway.delete("conn-1");
    } finally {
      gateway.close();
    }
    const [request] = captured;
    expect(request!.method).toBe("DELETE");
    expect(request!.url).toBe("/dev/@connections/conn-1");
    expect(request!.headers["x-amz-security-token"]).toBeUndefined();
    expect(request!.headers.authorization).toBe(await expectedAuthorization(request!, "us-east-1", longTerm));
  });

  it("an attempt with no answer is abandoned at its deadline, retried, then thrown as an unavailability", async () => {
    captured = [];
    silent = true;
    const gateway = new LeanManagementApiGateway({
      endpoint: `${base}/prod`,
      region: "us-east-1",
      credentials: temporary,
      retry: { maxAttempts: 2, baseMs: 1, capMs: 2 },
      maxSockets: 2,
      timeoutMs: 200,
    });
    try {
      const error = await gateway.post("stalled", "{}").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatewayUnavailableError);
      expect((error as GatewayUnavailableError).status).toBeUndefined();
      expect(captured).toHaveLength(2);
    } finally {
      silent = false;
      gateway.close();
    }
  });
});

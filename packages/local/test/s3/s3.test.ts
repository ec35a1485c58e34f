import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localS3ClientConfig, startS3, type LocalS3 } from "../../src/s3/index";

const webOrigin = "http://localhost:5173";
let s3: LocalS3;
let client: S3Client;
beforeAll(async () => {
  s3 = await startS3({ buckets: [{ name: "data", cors: { allowedOrigins: [webOrigin] } }, { name: "private" }] });
  client = new S3Client(localS3ClientConfig(s3.endpoint));
});
afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});

const presignGet = (key: string, options: Parameters<typeof getSignedUrl>[2] = { expiresIn: 300 }) =>
  getSignedUrl(client, new GetObjectCommand({ Bucket: "data", Key: key }), options);
const presignPut = (key: string, contentType = "application/json") =>
  getSignedUrl(client, new PutObjectCommand({ Bucket: "data", Key: key, ContentType: contentType }), { expiresIn: 300 });

describe("S3 emulator", () => {
  it("stores and returns objects through the SDK with localS3ClientConfig, stream bodies included", async () => {
    await client.send(
      new PutObjectCommand({ Bucket: "data", Key: "snapshots/game/g1.json", Body: '{"seq":1}', ContentType: "application/json" }),
    );
    const streamed = Readable.from([Buffer.from('{"seq":'), Buffer.from("2}")]);
    await client.send(new PutObjectCommand({ Bucket: "data", Key: "results/j1.json", Body: streamed, ContentLength: 9 }));
    const first = await client.send(new GetObjectCommand({ Bucket: "data", Key: "snapshots/game/g1.json" }));
    expect(await first.Body!.transformToString()).toBe('{"seq":1}');
    // No aws-chunked framing stored in the object.
    expect(await (await client.send(new GetObjectCommand({ Bucket: "data", Key: "results/j1.json" }))).Body!.transformToString()).toBe(
      '{"seq":2}',
    );
  });

  it("serves a pre-signed PUT then a pre-signed GET from plain fetch; the GET URL is valid before the object exists", async () => {
    const getUrl = await presignGet("results/job-7.json");
    expect((await fetch(getUrl)).status).toBe(404);
    const put = await fetch(await presignPut("results/job-7.json"), {
      method: "PUT",
      body: '{"done":true}',
      headers: { "content-type": "application/json" },
    });
    expect(put.status).toBe(200);
    const get = await fetch(getUrl);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('{"done":true}');
    expect(get.headers.get("content-type")).toBe("application/json");
  });

  it("rejects a tampered signature, a wrong secret and an expired URL with 403", async () => {
    await client.send(new PutObjectCommand({ Bucket: "data", Key: "secret.json", Body: "{}" }));
    const good = await presignGet("secret.json");
    expect((await fetch(good)).status).toBe(200);

    const tampered = new URL(good);
    const signature = tampered.searchParams.get("X-Amz-Signature")!;
    tampered.searchParams.set("X-Amz-Signature", (signature[0] === "a" ? "b" : "a") + signature.slice(1));
    expect((await fetch(tampered)).status).toBe(403);

    const otherKey = tampered.toString().replace("secret.json", "other.json");
    expect((await fetch(otherKey)).status).toBe(403);

    const wrongSecret = new S3Client({
      ...localS3ClientConfig(s3.endpoint),
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "wrong" },
    });
    expect(
      (await fetch(await getSignedUrl(wrongSecret, new GetObjectCommand({ Bucket: "data", Key: "secret.json" }), { expiresIn: 300 })))
        .status,
    ).toBe(403);
    wrongSecret.destroy();

    // Signed an hour ago for 60 s: expired without waiting.
    const expired = await presignGet("secret.json", { expiresIn: 60, signingDate: new Date(Date.now() - 3600_000) });
    const response = await fetch(expired);
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/expired/i);
  });

  it("applies a presigned GET's response-content-disposition, so a download gets its file name", async () => {
    await client.send(new PutObjectCommand({ Bucket: "data", Key: "results/named.json", Body: "{}" }));
    const url = await getSignedUrl(
      client,
      new GetObjectCommand({ Bucket: "data", Key: "results/named.json", ResponseContentDisposition: 'attachment; filename="report.json"' }),
      { expiresIn: 300 },
    );
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="report.json"');
  });

  it("answers If-None-Match with the current ETag with 304, and with a stale one with 200", async () => {
    await client.send(new PutObjectCommand({ Bucket: "data", Key: "snapshots/queue/e1.json", Body: '{"serving":1}' }));
    const url = await presignGet("snapshots/queue/e1.json");
    const first = await fetch(url);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^".+"$/);
    expect((await fetch(url, { headers: { "if-none-match": etag } })).status).toBe(304);
    await client.send(new PutObjectCommand({ Bucket: "data", Key: "snapshots/queue/e1.json", Body: '{"serving":2}' }));
    const changed = await fetch(url, { headers: { "if-none-match": etag } });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toBe('{"serving":2}');
  });

  it("answers a browser's CORS preflight for GET with If-None-Match, exposes ETag, and refuses PUT from the page", async () => {
    await client.send(new PutObjectCommand({ Bucket: "data", Key: "snapshots/cors.json", Body: "{}" }));
    const getUrl = await presignGet("snapshots/cors.json");
    const preflight = await fetch(getUrl, {
      method: "OPTIONS",
      headers: { origin: webOrigin, "access-control-request-method": "GET", "access-control-request-headers": "if-none-match" },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get("access-control-allow-origin")).toMatch(/^(\*|http:\/\/localhost:5173)$/);
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("if-none-match");

    const get = await fetch(getUrl, { headers: { origin: webOrigin } });
    expect(get.status).toBe(200);
    expect(get.headers.get("access-control-allow-origin")).toBe(webOrigin);
    expect(get.headers.get("access-control-expose-headers")).toContain("ETag");

    // Nothing uploads from a browser: the deployed rule allows GET and HEAD only.
    const put = await fetch(await presignPut("results/cors.json"), {
      method: "OPTIONS",
      headers: { origin: webOrigin, "access-control-request-method": "PUT" },
    });
    expect(put.status).toBe(403);
    const notAllowed = await fetch(getUrl, {
      method: "OPTIONS",
      headers: { origin: "http://evil.example", "access-control-request-method": "GET" },
    });
    expect(notAllowed.status).toBe(403);
    expect(notAllowed.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("refuses unsigned GET, PUT and DELETE with S3's 403 AccessDenied, and keeps the object", async () => {
    await client.send(new PutObjectCommand({ Bucket: "data", Key: "snapshots/game/g9.json", Body: '{"seq":3}' }));
    for (const method of ["GET", "PUT", "DELETE"]) {
      const response = await fetch(`${s3.endpoint}/data/snapshots/game/g9.json`, {
        method,
        ...(method === "PUT" && { body: '{"seq":999999}' }),
      });
      expect([method, response.status]).toEqual([method, 403]);
      expect(await response.text()).toContain("<Code>AccessDenied</Code>");
    }
    expect(
      await (await client.send(new GetObjectCommand({ Bucket: "data", Key: "snapshots/game/g9.json" }))).Body!.transformToString(),
    ).toBe('{"seq":3}');
  });

  it("refuses keys with '..' segments, so nothing is written outside the bucket's folder", async () => {
    // Signed by the operator: the SDK sends the key's segments as they are.
    await expect(client.send(new PutObjectCommand({ Bucket: "data", Key: "a/../../escape.json", Body: "{}" }))).rejects.toMatchObject({
      name: "InvalidArgument",
    });
    const encoded = await fetch(`${s3.endpoint}/data/..%2F..%2Fescape.json`, { method: "PUT", body: "{}" });
    expect(encoded.status).toBe(400);
    expect(await encoded.text()).toContain("<Code>InvalidArgument</Code>");
  });

  it("refuses credentials it never issued (InvalidAccessKeyId) and a body that does not match its signed hash", async () => {
    const stranger = new S3Client({
      ...localS3ClientConfig(s3.endpoint),
      credentials: { accessKeyId: "AKIASTRANGER", secretAccessKey: "x" },
    });
    await expect(stranger.send(new GetObjectCommand({ Bucket: "data", Key: "snapshots/game/g9.json" }))).rejects.toMatchObject({
      name: "InvalidAccessKeyId",
    });
    stranger.destroy();
  });

  it("refuses a preflight on a bucket without CORS", async () => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: "private", Key: "x" }), { expiresIn: 60 });
    const preflight = await fetch(url, { method: "OPTIONS", headers: { origin: webOrigin, "access-control-request-method": "GET" } });
    expect(preflight.status).toBe(403);
  });

  it("keeps objects in dataDir across restarts and frees the port on stop()", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pushgate-s3-test-"));
    try {
      const first = await startS3({ dataDir, buckets: [{ name: "kept" }] });
      const firstClient = new S3Client(localS3ClientConfig(first.endpoint));
      await firstClient.send(new PutObjectCommand({ Bucket: "kept", Key: "a.txt", Body: "hello" }));
      firstClient.destroy();
      await first.stop();
      await expect(fetch(`${first.endpoint}/kept/a.txt`)).rejects.toThrow();

      const second = await startS3({ dataDir, port: first.port, buckets: [{ name: "kept" }] });
      const secondClient = new S3Client(localS3ClientConfig(second.endpoint));
      expect(await (await secondClient.send(new GetObjectCommand({ Bucket: "kept", Key: "a.txt" }))).Body!.transformToString()).toBe(
        "hello",
      );
      secondClient.destroy();
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

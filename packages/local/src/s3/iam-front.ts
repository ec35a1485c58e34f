/**
 * The S3 endpoint the local cloud hands out: IAM in front of s3rver, which on
 * its own lets a request with no signature through and writes `..%2F` keys
 * outside the bucket's folder. Every request but a CORS preflight must be
 * signed (header or presigned URL) by credentials this cloud issued; the
 * signer's policy must allow the action on `arn:aws:s3:::bucket/key`, as S3
 * checks a presigned URL against the signer's permissions. Refusals are S3's
 * own XML errors. Allowed requests reach s3rver unsigned, on loopback.
 */
import { randomUUID } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { browserReadCors } from "@pushgate/core/topology";
import { closeServer, listen, readBody } from "../http-server";
import { describeError, type Log } from "../log";
import type { AccessControl, Principal } from "../iam/access-control";
import { objectArn } from "../iam/arns";
import { forward, receivedRequest } from "../iam/guarded-request";

export interface S3FrontOptions {
  accessControl: AccessControl;
  s3rverPort: number;
  /** Bucket name -> origins its CORS rule allows; refusals carry CORS headers too, so a page can read their status. */
  corsOrigins: Record<string, string[]>;
  port?: number;
  host?: string;
  log: Log;
}

/** Objects here are small JSON documents; 64 MB keeps a runaway upload from eating memory. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** GetObject's query parameters that set a response header (a presigned download names its file this way). */
const RESPONSE_OVERRIDES: Record<string, string> = {
  "response-content-type": "content-type",
  "response-content-language": "content-language",
  "response-expires": "expires",
  "response-cache-control": "cache-control",
  "response-content-disposition": "content-disposition",
  "response-content-encoding": "content-encoding",
};
const SIGNING_PARAMS = new Set([
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
  "X-Amz-Security-Token",
]);

export async function startS3Front(options: S3FrontOptions): Promise<{ port: number; stop(): Promise<void> }> {
  const { accessControl, log } = options;
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log("error", `S3 front: ${describeError(error)}`);
      if (!response.headersSent) refuse(request, response, 500, "InternalError", "Internal error in the local S3 front; see its log.");
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const received = receivedRequest(request, Buffer.alloc(0));
    if (request.method === "OPTIONS")
      return forward(request, response, {
        port: options.s3rverPort,
        path: request.url ?? "/",
        headers: request.headers,
        body: Buffer.alloc(0),
      });

    let bucket: string;
    let key: string;
    try {
      [bucket, key] = splitPath(received.path);
    } catch {
      return refuse(request, response, 400, "InvalidURI", "Couldn't parse the specified URI.");
    }
    if (key.split("/").some((segment) => segment === ".." || segment === ".")) {
      return refuse(
        request,
        response,
        400,
        "InvalidArgument",
        "Object keys with '.' or '..' segments are refused here (the local S3 stores objects as files); use keys without them.",
      );
    }
    const body = await readBody(request, MAX_BODY_BYTES);
    if (body === "too large")
      return refuse(request, response, 400, "EntityTooLarge", "Your proposed upload exceeds the local S3 limit of 64 MB.");

    const auth = accessControl.authenticate({ ...received, body }, "s3");
    if (!auth.ok) {
      const [status, code, message] =
        auth.problem === "missing"
          ? [403, "AccessDenied", "Access Denied"]
          : auth.problem === "unknown-key"
            ? [403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."]
            : auth.problem === "bad-token"
              ? [400, "InvalidToken", "The provided token is malformed or otherwise invalid."]
              : auth.problem === "expired"
                ? [403, "AccessDenied", "Request has expired"]
                : auth.problem === "payload-mismatch"
                  ? [400, "XAmzContentSHA256Mismatch", auth.message]
                  : auth.problem === "skewed"
                    ? [403, "RequestTimeTooSkewed", auth.message]
                    : auth.problem === "malformed"
                      ? [400, "AuthorizationQueryParametersError", auth.message]
                      : [403, "SignatureDoesNotMatch", auth.message];
      return refuse(request, response, status, code, message);
    }
    const action = actionFor(request.method ?? "GET", key, new URLSearchParams(received.query));
    const denial = accessControl.authorize(auth.principal, action, [
      objectArn(bucket, action === "s3:DeleteObject" && key === "" ? "*" : key),
    ]);
    if (denial) return refuse(request, response, 403, "AccessDenied", denial.message);

    // s3rver refuses response-* overrides on the unsigned requests it gets from here, so the front applies them, as S3 does.
    const answerHeaders: Record<string, string> = {};
    const query = received.query
      .split("&")
      .filter((pair) => {
        const [key = "", value = ""] = pair.split("=").map(decodeURIComponent);
        if (RESPONSE_OVERRIDES[key]) answerHeaders[RESPONSE_OVERRIDES[key]] = value;
        return pair !== "" && !SIGNING_PARAMS.has(key) && !RESPONSE_OVERRIDES[key];
      })
      .join("&");
    const headers = { ...request.headers };
    delete headers.authorization;
    delete headers["x-amz-security-token"];
    const conditional = request.method === "PUT" && (headers["if-match"] !== undefined || headers["if-none-match"] !== undefined);
    if (conditional) {
      // s3rver ignores conditions on PUT; S3 honours them (since 2024): the front checks and writes under one lock per key.
      const ifMatch = headers["if-match"];
      const ifNoneMatch = headers["if-none-match"];
      delete headers["if-match"];
      delete headers["if-none-match"];
      const release = await lockKey(`${bucket}/${key}`);
      response.once("close", release);
      const current = await headEtag(options.s3rverPort, received.path);
      if (ifNoneMatch !== undefined && ifNoneMatch !== "*") {
        return refuse(
          request,
          response,
          501,
          "NotImplemented",
          "If-None-Match on PutObject only takes *; send If-None-Match: * to create only when absent.",
        );
      }
      if (ifNoneMatch === "*" && current !== undefined) {
        return refuse(request, response, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
      }
      if (ifMatch !== undefined && current === undefined) {
        return refuse(request, response, 404, "NoSuchKey", "The specified key does not exist.");
      }
      if (ifMatch !== undefined && ifMatch !== current) {
        return refuse(request, response, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
      }
    }
    forward(request, response, {
      port: options.s3rverPort,
      path: query ? `${received.path}?${query}` : received.path,
      headers,
      body,
      answerHeaders,
      // Without s3:ListBucket, S3 does not say whether a key exists: a missing object is 403, not 404.
      intercept: (upstream) => {
        if (upstream.statusCode !== 404 || action !== "s3:GetObject" || listable(auth.principal, bucket)) return false;
        refuse(request, response, 403, "AccessDenied", "Access Denied");
        return true;
      },
    });
  }

  /** One conditional write per key at a time: the check and the write are one step, as on S3. */
  const keyLocks = new Map<string, Promise<void>>();
  async function lockKey(objectKey: string): Promise<() => void> {
    const previous = keyLocks.get(objectKey) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const chained = previous.then(() => mine);
    keyLocks.set(objectKey, chained);
    void chained.then(() => {
      if (keyLocks.get(objectKey) === chained) keyLocks.delete(objectKey);
    });
    await previous;
    return release;
  }

  const listable = (principal: Principal, bucket: string) => accessControl.allows(principal, "s3:ListBucket", objectArn(bucket, ""));

  /** S3's error document, with the CORS headers S3 adds when the bucket's rule matches the Origin. */
  function refuse(request: IncomingMessage, response: ServerResponse, status: number, code: string, message: string) {
    const requestId = randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase();
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId></Error>`;
    const origin = request.headers.origin;
    const [bucket] = safeSplit(receivedRequest(request, Buffer.alloc(0)).path);
    const allowed =
      origin !== undefined && (options.corsOrigins[bucket] ?? []).some((candidate) => candidate === "*" || candidate === origin);
    response.writeHead(status, {
      "content-type": "application/xml",
      "content-length": Buffer.byteLength(body),
      "x-amz-request-id": requestId,
      ...(allowed && {
        "access-control-allow-origin": origin,
        "access-control-expose-headers": browserReadCors.exposedHeaders.join(", "),
        vary: "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
      }),
    });
    response.end(request.method === "HEAD" ? undefined : body);
  }

  const port = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  return {
    port,
    stop: () => closeServer(server),
  };
}

/** The ETag s3rver holds for a path, or undefined when there is no such object. */
function headEtag(port: number, path: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const head = httpRequest({ host: "127.0.0.1", port, method: "HEAD", path }, (answer) => {
      answer.resume();
      const etag = answer.headers.etag;
      resolve(answer.statusCode === 200 && typeof etag === "string" ? etag : undefined);
    });
    head.on("error", reject);
    head.end();
  });
}

/** Path-style: `/bucket/key...`, the key percent-decoded as S3 reads it. */
function splitPath(path: string): [string, string] {
  const [, bucket = "", ...rest] = path.split("/");
  return [decodeURIComponent(bucket), decodeURIComponent(rest.join("/"))];
}

function safeSplit(path: string): [string, string] {
  try {
    return splitPath(path);
  } catch {
    return ["", ""];
  }
}

/** The IAM action S3 checks for a REST call, for what pushgate and its tools use. */
function actionFor(method: string, key: string, query: URLSearchParams): string {
  if (key !== "") {
    if (method === "GET" || method === "HEAD") return "s3:GetObject";
    if (method === "PUT" || method === "POST") return "s3:PutObject";
    if (method === "DELETE") return "s3:DeleteObject";
  }
  if (query.has("cors")) return method === "PUT" ? "s3:PutBucketCORS" : method === "DELETE" ? "s3:PutBucketCORS" : "s3:GetBucketCORS";
  if (method === "POST" && query.has("delete")) return "s3:DeleteObject";
  if (method === "GET" || method === "HEAD") return "s3:ListBucket";
  if (method === "PUT") return "s3:CreateBucket";
  if (method === "DELETE") return "s3:DeleteBucket";
  return `s3:${method}`;
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

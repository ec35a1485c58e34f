import S3rver from "@20minutes/s3rver";
import { s3rverCredentials } from "./client-config";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { corsConfigurationXml, type BucketCors } from "./cors";
import { startS3Front } from "./iam-front";
import { AccessControl } from "../iam/access-control";
import { loopbackHost, urlHost } from "../listen-host";
import { quietLog, type Log } from "../log";

export interface LocalBucket {
  name: string;
  cors?: BucketCors;
}

export interface StartS3Options {
  /** Default: a free port. */
  port?: number;
  /** Default 127.0.0.1: only this machine reaches the emulator. */
  host?: string;
  /** Objects on disk (kept between runs); omitted: a temporary folder removed on stop. */
  dataDir?: string;
  /** Force a throw-away store even if dataDir is set (tests). */
  inMemory?: boolean;
  /** Created (or kept, with their objects) at start, with their CORS rules. */
  buckets: LocalBucket[];
  /**
   * Who may do what (the local cloud's IAM). Omitted: one operator key pair,
   * `s3rverCredentials`, with full access; requests must still be signed.
   */
  accessControl?: AccessControl;
  log?: Log;
}

export interface LocalS3 {
  /** `http://127.0.0.1:<port>`; use with forcePathStyle (see localS3ClientConfig). */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * S3 for the local cloud: @20minutes/s3rver for storage, on a loopback port of
 * its own, behind an IAM front (iam-front.ts) that verifies every signature and
 * authorizes every call, as S3 does. Buckets and CORS are set through s3rver's
 * configureBuckets option. s3rver has no memory store, so "in memory" is a
 * temporary folder.
 */
export async function startS3(options: StartS3Options): Promise<LocalS3> {
  const log = options.log ?? quietLog;
  const temporary = options.inMemory || !options.dataDir;
  const directory = temporary ? mkdtempSync(join(tmpdir(), "pushgate-s3-")) : resolve(options.dataDir!);
  mkdirSync(directory, { recursive: true });
  const host = options.host ?? loopbackHost;
  const server = new S3rver({
    // Storage only, on loopback whatever `host` says: callers reach it through the IAM front.
    address: loopbackHost,
    port: 0,
    silent: true,
    directory,
    // Path-style only: bucket.127.0.0.1 does not resolve, and vhost parsing of "localhost" misroutes.
    vhostBuckets: false,
    configureBuckets: options.buckets.map((bucket) => ({
      name: bucket.name,
      configs: bucket.cors ? [corsConfigurationXml(bucket.cors)] : [],
    })),
  });
  let address;
  try {
    address = await server.run();
  } catch (error) {
    if (temporary) rmSync(directory, { recursive: true, force: true });
    const hint =
      (error as NodeJS.ErrnoException).code === "EADDRINUSE"
        ? `port ${options.port} is taken: pass another \`port\` or stop what holds it.`
        : "check the data folder is writable.";
    throw new Error(`The S3 emulator could not start: ${(error as Error).message}; ${hint}`, { cause: error });
  }
  let accessControl = options.accessControl;
  if (!accessControl) {
    accessControl = new AccessControl({ region: "us-east-1", accountId: "123456789012", log });
    accessControl.registerOperator(s3rverCredentials);
  }
  let front;
  try {
    front = await startS3Front({
      accessControl,
      s3rverPort: address.port,
      corsOrigins: Object.fromEntries(options.buckets.map((bucket) => [bucket.name, bucket.cors?.allowedOrigins ?? []])),
      ...(options.port !== undefined && { port: options.port }),
      host,
      log,
    });
  } catch (error) {
    await server.close();
    if (temporary) rmSync(directory, { recursive: true, force: true });
    const hint =
      (error as NodeJS.ErrnoException).code === "EADDRINUSE"
        ? `port ${options.port} is taken: pass another \`port\` or stop what holds it.`
        : "see the error above.";
    throw new Error(`The S3 emulator could not start: ${(error as Error).message}; ${hint}`, { cause: error });
  }
  const endpoint = `http://${urlHost(host)}:${front.port}`;
  log(
    "info",
    `S3 ready on ${endpoint} (buckets ${options.buckets.map((bucket) => bucket.name).join(", ") || "none"}; ${temporary ? "temporary store" : `data in ${directory}`}).`,
  );
  let stopped = false;
  return {
    endpoint,
    port: front.port,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await front.stop();
      await server.close();
      if (temporary) rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * SnapshotStore over the data bucket, with presigned GETs for browsers.
 *
 * A snapshot never goes back: its seq is kept in the object's metadata
 * (`x-amz-meta-seq`), and a write is a compare-and-swap on the ETag: read the
 * current seq with a HEAD, give up if it is not older, else PUT with
 * `If-Match: <etag read>` (`If-None-Match: *` when there was none). Another
 * writer in between makes S3 answer 412 (or 409 for a race on the same
 * instant) and the loop reads again. Metadata rather than the body: a HEAD
 * costs no transfer, and the envelope stays exactly the pushed frame.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { resultKey, snapshotKey } from "../keys";
import { onceAsync } from "../once";
import type { Clock, PresignedUrl, SnapshotStore } from "../ports";
import type { MessageFrame } from "../protocol";
import { loadS3Presigner, loadS3Sdk } from "./aws-clients";

/** Lost races a snapshot write retries before it fails (and the stream record is retried). */
const SNAPSHOT_WRITE_ATTEMPTS = 5;

/** An S3 error's HTTP status; undefined for anything else (the SDK's error class is loaded with the client). */
async function s3Status(error: unknown): Promise<number | undefined> {
  const { S3ServiceException } = await loadS3Sdk();
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

export class S3SnapshotStore implements SnapshotStore {
  private readonly s3: () => Promise<S3Client>;

  /** `s3` is called on first use (the SDK loads then, not at the function's cold start), once. */
  constructor(
    s3: () => Promise<S3Client>,
    private readonly bucket: () => string,
    private readonly clock: Clock,
    private readonly presignSeconds: number,
  ) {
    this.s3 = onceAsync(s3);
  }

  async putSnapshot(frame: MessageFrame): Promise<"written" | "kept"> {
    const key = snapshotKey(frame.topic);
    for (let attempt = 0; attempt < SNAPSHOT_WRITE_ATTEMPTS; attempt++) {
      const current = await this.currentSnapshot(key);
      if (current && current.seq >= frame.seq) return "kept";
      try {
        await this.putJson(key, frame, { seq: frame.seq, ...(current ? { ifMatch: current.etag } : { ifNoneMatch: "*" }) });
        return "written";
      } catch (error) {
        // 412: another write landed since the HEAD; 409: one is landing right now. Read again.
        const status = await s3Status(error);
        if (status !== 412 && status !== 409) throw error;
      }
    }
    throw new Error(`snapshot ${key} changed under ${SNAPSHOT_WRITE_ATTEMPTS} writes in a row; the record is retried`);
  }

  /** The snapshot's seq and ETag; undefined when there is none (without s3:ListBucket, S3 answers a missing key 403). */
  private async currentSnapshot(key: string): Promise<{ seq: number; etag: string } | undefined> {
    try {
      const [{ HeadObjectCommand }, s3] = await Promise.all([loadS3Sdk(), this.s3()]);
      const head = await s3.send(new HeadObjectCommand({ Bucket: this.bucket(), Key: key }));
      if (!head.ETag) return undefined;
      // A snapshot written before the seq was kept counts as older than any publication.
      const seq = Number(head.Metadata?.seq ?? -1);
      return { seq: Number.isSafeInteger(seq) ? seq : -1, etag: head.ETag };
    } catch (error) {
      const status = await s3Status(error);
      // A 403 for an object that does exist is caught by If-None-Match: * (412, read again, and in the end an error).
      if (status === 404 || status === 403) return undefined;
      throw error;
    }
  }

  presignSnapshot(topic: string): Promise<PresignedUrl> {
    return this.presignGet(snapshotKey(topic));
  }

  putResult(jobId: string, result: unknown): Promise<void> {
    return this.putJson(resultKey(jobId), result);
  }

  presignResult(jobId: string): Promise<PresignedUrl> {
    // The page and the bucket are on different origins, where browsers ignore
    // <a download>: only this response header makes the link save a file.
    return this.presignGet(resultKey(jobId), `attachment; filename="contest-report-${jobId}.json"`);
  }

  private async putJson(key: string, body: unknown, condition?: { seq: number; ifMatch?: string; ifNoneMatch?: "*" }): Promise<void> {
    const [{ PutObjectCommand }, s3] = await Promise.all([loadS3Sdk(), this.s3()]);
    const command = new PutObjectCommand({
      Bucket: this.bucket(),
      Key: key,
      Body: JSON.stringify(body),
      ContentType: "application/json",
      // Snapshots change under the same key; a polling client must not be served a stale copy.
      CacheControl: "no-cache",
      ...(condition && { Metadata: { seq: String(condition.seq) } }),
      ...(condition?.ifNoneMatch && { IfNoneMatch: condition.ifNoneMatch }),
    });
    const ifMatch = condition?.ifMatch;
    if (ifMatch !== undefined) {
      // This SDK (3.699) predates PutObject's IfMatch parameter; the header goes in before signing. Use the parameter once upgraded.
      command.middlewareStack.add(
        (next) => async (args) => {
          (args.request as { headers: Record<string, string> }).headers["if-match"] = ifMatch;
          return next(args);
        },
        { step: "build", name: "snapshotIfMatch" },
      );
    }
    await s3.send(command);
  }

  private async presignGet(key: string, contentDisposition?: string): Promise<PresignedUrl> {
    const [{ GetObjectCommand }, { getSignedUrl }, s3] = await Promise.all([loadS3Sdk(), loadS3Presigner(), this.s3()]);
    const signingDate = new Date(this.clock.now());
    const command = new GetObjectCommand({
      Bucket: this.bucket(),
      Key: key,
      ...(contentDisposition && { ResponseContentDisposition: contentDisposition }),
    });
    const url = await getSignedUrl(s3, command, {
      expiresIn: this.presignSeconds,
      signingDate,
    });
    return { url, expiresAt: new Date(signingDate.getTime() + this.presignSeconds * 1000).toISOString() };
  }
}

/** SnapshotStore over the data bucket, with presigned GETs for browsers. */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { resultKey, snapshotKey } from "../keys";
import type { Clock, PresignedUrl, SnapshotStore } from "../ports";
import type { MessageFrame } from "../protocol";

export class S3SnapshotStore implements SnapshotStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: () => string,
    private readonly clock: Clock,
    private readonly presignSeconds: number,
  ) {}

  putSnapshot(frame: MessageFrame): Promise<void> {
    return this.putJson(snapshotKey(frame.topic), frame);
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

  private async putJson(key: string, body: unknown): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket(),
        Key: key,
        Body: JSON.stringify(body),
        ContentType: "application/json",
        // Snapshots change under the same key; a polling client must not be served a stale copy.
        CacheControl: "no-cache",
      }),
    );
  }

  private async presignGet(key: string, contentDisposition?: string): Promise<PresignedUrl> {
    const signingDate = new Date(this.clock.now());
    const command = new GetObjectCommand({ Bucket: this.bucket(), Key: key, ...(contentDisposition && { ResponseContentDisposition: contentDisposition }) });
    const url = await getSignedUrl(this.s3, command, {
      expiresIn: this.presignSeconds,
      signingDate,
    });
    return { url, expiresAt: new Date(signingDate.getTime() + this.presignSeconds * 1000).toISOString() };
  }
}

import { isMessageFrame, type MessageFrame } from "@pushgate/core/wire";
import type { FetchLike } from "./environment";
import { clientError, describeCause, type PushClientError } from "./errors";

export type SnapshotResult =
  /** A snapshot body (a protocol `message` frame); the caller applies it if its seq is newer. */
  | { status: "fetched"; frame: MessageFrame }
  /** 304: unchanged since the ETag we hold. */
  | { status: "unchanged" }
  /** 404: nothing published on the topic yet. */
  | { status: "missing" }
  /** 403: the presigned URL expired (or was signed with rotated credentials); get a new one. */
  | { status: "expired" }
  | { status: "failed"; error: PushClientError };

/**
 * GETs of `snapshots/{topic}.json` through presigned URLs, conditional on the
 * ETag of the last body seen for the topic, so an unchanged snapshot costs a
 * 304 with no body. Used by both the resync after a `subscribed` ack and the
 * polling transport, so both share the ETags.
 *
 * In a browser, S3's CORS rule must allow the `If-None-Match` request header
 * and expose the `ETag` response header, or the ETag is invisible and every
 * poll is a full 200.
 */
export class SnapshotFetcher {
  private readonly etags = new Map<string, string>();

  constructor(private readonly fetch: FetchLike) {}

  async get(topic: string, url: string): Promise<SnapshotResult> {
    const headers: Record<string, string> = {};
    const etag = this.etags.get(topic);
    if (etag !== undefined) headers["if-none-match"] = etag;
    let response: Response;
    try {
      response = await this.fetch(url, { method: "GET", headers });
    } catch (cause) {
      return this.failed(topic, `GET of the ${topic} snapshot failed: ${describeCause(cause)}`, { cause });
    }
    switch (response.status) {
      case 304:
        return { status: "unchanged" };
      case 404:
        await response.body?.cancel();
        return { status: "missing" };
      case 403:
        await response.body?.cancel();
        return { status: "expired" };
    }
    if (!response.ok) {
      await response.body?.cancel();
      return this.failed(topic, `GET of the ${topic} snapshot answered ${response.status}`, { status: response.status });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (cause) {
      return this.failed(topic, `the ${topic} snapshot is not JSON`, { cause });
    }
    if (!isMessageFrame(body) || body.topic !== topic) {
      return this.failed(topic, `the ${topic} snapshot is not a message frame for ${topic}`, {});
    }
    const newEtag = response.headers.get("etag");
    if (newEtag !== null) this.etags.set(topic, newEtag);
    return { status: "fetched", frame: body };
  }

  /**
   * Drop the ETag held for `topic`, so the next GET fetches the body. For a
   * caller whose 304 left it behind: the ETag came from a body that was fetched
   * but never applied (a polling round that ended when the socket went live).
   */
  forget(topic: string): void {
    this.etags.delete(topic);
  }

  private failed(topic: string, message: string, extra: Omit<PushClientError, "origin" | "code" | "message" | "topic">): SnapshotResult {
    return { status: "failed", error: clientError("SNAPSHOT_FAILED", message, { topic, ...extra }) };
  }
}

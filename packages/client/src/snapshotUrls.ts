import { isRefusedList, type ErrorCode } from "@pushgate/core/wire";
import type { FetchLike } from "./environment";
import { clientError, describeCause, type PushClientError } from "./errors";
import { fetchWithSession, type TokenKeeper } from "./session";

/**
 * The presigned snapshot URL of each topic. They come free with every
 * `subscribed` ack; when the socket has never been up, or a URL has expired
 * (S3 answers 403), `GET {httpApiUrl}/snapshots?topics=a,b` signs new ones.
 */
export class SnapshotUrls {
  private readonly urls = new Map<string, string>();

  constructor(
    private readonly options: {
      httpApiUrl: string;
      fetch: FetchLike;
      /** The fan's tokens: sent as the Authorization header, renewed once on a 401. */
      tokens: TokenKeeper;
      /** The API refused a topic (forbidden, invalid): asking again will not help. */
      refused: (topic: string, error: PushClientError) => void;
    },
  ) {}

  set(topic: string, url: string): void {
    this.urls.set(topic, url);
  }

  get(topic: string): string | undefined {
    return this.urls.get(topic);
  }

  /** The URL expired; the next `resolve` signs a new one. */
  forget(topic: string): void {
    this.urls.delete(topic);
  }

  /** A URL for each topic, asking the API for those we do not have. Never throws. */
  async resolve(topics: readonly string[]): Promise<{ urls: Map<string, string>; error?: PushClientError }> {
    const missing = topics.filter((topic) => !this.urls.has(topic));
    let error: PushClientError | undefined;
    if (missing.length > 0) error = await this.fetchUrls(missing);
    const urls = new Map<string, string>();
    for (const topic of topics) {
      const url = this.urls.get(topic);
      if (url !== undefined) urls.set(topic, url);
    }
    return error ? { urls, error } : { urls };
  }

  private async fetchUrls(topics: string[]): Promise<PushClientError | undefined> {
    const base = this.options.httpApiUrl.replace(/\/+$/, "");
    // Topic names are `kind/id` with ids in [A-Za-z0-9_-]; the slash and comma stay readable.
    const url = `${base}/snapshots?topics=${topics.map(encodeURIComponent).join(",")}`;
    try {
      const response = await fetchWithSession(this.options.tokens, this.options.fetch, url, { method: "GET" });
      if (!response.ok) {
        const text = await response.text().catch(() => "");
        return clientError("SNAPSHOT_URLS_FAILED", `GET ${url} answered ${response.status}: ${text.slice(0, 200)}`, {
          status: response.status,
        });
      }
      const body = (await response.json()) as { snapshots?: unknown; refused?: unknown };
      if (!Array.isArray(body.snapshots)) {
        return clientError("SNAPSHOT_URLS_FAILED", `GET ${url} answered no snapshots[]`);
      }
      for (const entry of body.snapshots as unknown[]) {
        const { topic, url: snapshotUrl } = (entry ?? {}) as { topic?: unknown; url?: unknown };
        if (typeof topic === "string" && typeof snapshotUrl === "string") this.urls.set(topic, snapshotUrl);
      }
      if (isRefusedList(body.refused)) {
        for (const { topic, code, message } of body.refused ?? [])
          this.options.refused(topic, { origin: "server", code: code as ErrorCode, message, topic });
      }
      return undefined;
    } catch (cause) {
      return clientError("SNAPSHOT_URLS_FAILED", `GET ${url} failed: ${describeCause(cause)}`, { cause });
    }
  }
}

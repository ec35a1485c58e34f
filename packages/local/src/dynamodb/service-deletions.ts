/**
 * The deletions DynamoDB itself made (TTL expiry), so the stream side can give
 * their REMOVE records the identity AWS gives them.
 *
 * On AWS a TTL deletion reaches the stream as REMOVE with
 * `userIdentity: { type: "Service", principalId: "dynamodb.amazonaws.com" }`,
 * and a user's own DeleteItem has no userIdentity; handlers rely on that to
 * tell "expired" from "removed". The local cloud's TTL sweeper deletes with an
 * ordinary DeleteItem, which DynamoDB Local streams like a user's, so the
 * sweeper notes each deletion here (before sending it: a 50 ms stream poll can
 * read the record before DeleteItem answers) and the event conversion asks.
 *
 * An entry names the table, the item's key and the TTL value the sweeper's
 * conditional delete required, so a user who deletes a renewed item of the
 * same key is not mistaken for the service. Entries are not removed when read,
 * because several consumers may read the same stream; they age out instead.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { _Record as StreamRecord, AttributeValue as StreamAttributeValue } from "@aws-sdk/client-dynamodb-streams";

type Image = Record<string, AttributeValue | StreamAttributeValue>;

interface Entry {
  ttlAttribute: string;
  ttlValue: string;
  notedAt: number;
}

export interface ServiceDeletionsOptions {
  /** How long a deletion is remembered for consumers that lag. Default 1 hour. */
  retainMs?: number;
  /** Oldest entries are dropped beyond this. Default 100,000 (a few MB). */
  maxEntries?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export class ServiceDeletions {
  private readonly entries = new Map<string, Entry>();
  private readonly retainMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: ServiceDeletionsOptions = {}) {
    this.retainMs = options.retainMs ?? 60 * 60 * 1000;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** Called by the sweeper just before its conditional DeleteItem of `keys` requiring `ttlAttribute = ttlValue`. */
  note(tableName: string, keys: Image, ttlAttribute: string, ttlValue: string): void {
    const id = entryId(tableName, keys);
    this.entries.delete(id); // re-inserted last, so the Map's order stays oldest first
    this.entries.set(id, { ttlAttribute, ttlValue, notedAt: this.now() });
    this.evict();
  }

  /** Called when the conditional delete did not happen (the item was renewed or already gone). */
  forget(tableName: string, keys: Image): void {
    this.entries.delete(entryId(tableName, keys));
  }

  /** True if this REMOVE record of `tableName` is a deletion the sweeper made. */
  isServiceDeletion(tableName: string, record: StreamRecord): boolean {
    if (record.eventName !== "REMOVE" || !record.dynamodb?.Keys) return false;
    this.evict();
    const entry = this.entries.get(entryId(tableName, record.dynamodb.Keys));
    if (!entry) return false;
    // KEYS_ONLY and NEW_IMAGE streams carry no old image: the key has to do.
    const oldTtl = record.dynamodb.OldImage?.[entry.ttlAttribute];
    return record.dynamodb.OldImage === undefined || oldTtl?.N === entry.ttlValue;
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    const oldestKept = this.now() - this.retainMs;
    for (const [id, entry] of this.entries) {
      if (entry.notedAt >= oldestKept && this.entries.size <= this.maxEntries) break;
      this.entries.delete(id);
    }
  }
}

function entryId(tableName: string, keys: Image): string {
  const parts = Object.keys(keys)
    .sort()
    .map((name) => `${name}=${scalar(keys[name]!)}`);
  return `${tableName}\u0000${parts.join("\u0000")}`;
}

/** Key attributes are S, N or B; B arrives as bytes from both SDKs. */
function scalar(value: AttributeValue | StreamAttributeValue): string {
  if (value.S !== undefined) return `S:${value.S}`;
  if (value.N !== undefined) return `N:${value.N}`;
  if (value.B !== undefined) return `B:${Buffer.from(value.B).toString("base64")}`;
  return `?:${JSON.stringify(value)}`;
}

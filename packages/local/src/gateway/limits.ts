/**
 * API Gateway WebSocket quotas (see docs/aws-facts.md, "API Gateway WebSocket semantics"), each overridable so tests can
 * reach a limit with small numbers instead of big payloads or long waits.
 */
export interface GatewayLimits {
  /** A single frame over this closes the connection with 1009 (AWS: 32 KB). */
  maxFrameBytes: number;
  /** A message (all its fragments) over this closes with 1009 (AWS: 128 KB). */
  maxMessageBytes: number;
  /** A PostToConnection body over this answers 413 (AWS: 128 KB). */
  maxPostBytes: number;
  /** No message from the client for this long closes with 1001 (AWS: 10 minutes). */
  idleTimeoutMs: number;
  /** Any connection is closed with 1001 after this long (AWS: 2 hours). */
  maxConnectionDurationMs: number;
  /** New connections per second, refused with 429 before $connect (AWS: 500 per account and Region). */
  connectionsPerSecond: number;
  /** Token bucket size for new connections; defaults to connectionsPerSecond. */
  connectionBurst?: number;
  /** Optional new-connection rate per source IP (off by default, as on AWS without a WAF). */
  connectionsPerSecondPerIp?: number;
  /** Optional @connections request rate, answered 429 LimitExceededException (off by default). */
  managementRatePerSecond?: number;
  /**
   * Bytes a connection may have accepted but not yet sent (the client is not
   * reading them) before a PostToConnection to it is answered 429
   * LimitExceededException, "client side buffer is full". AWS does not publish
   * its buffer size; 256 KiB is two full-size (128 KB) messages beyond what the
   * operating system's socket buffers already hold, so a reader that keeps up
   * never meets it and one that stopped costs a bounded amount of memory.
   */
  maxBufferedBytes: number;
  /** A connection still full this long after a post was refused is closed (SLOW_READER_CLOSE). Our choice: AWS does not document one. */
  slowReaderCloseMs: number;
  /** Route invocations (messages) running at once across all connections; more wait, served round-robin by connection. */
  maxConcurrentRoutes: number;
  /** Messages of one connection waiting for their route; one more is answered "Too Many Requests" and dropped. */
  maxQueuedMessagesPerConnection: number;
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  maxFrameBytes: 32 * 1024,
  maxMessageBytes: 128 * 1024,
  maxPostBytes: 128 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  maxConnectionDurationMs: 2 * 60 * 60 * 1000,
  connectionsPerSecond: 500,
  maxBufferedBytes: 256 * 1024,
  slowReaderCloseMs: 10_000,
  maxConcurrentRoutes: 32,
  maxQueuedMessagesPerConnection: 100,
};

/** Defaults merged with overrides, validated once so a typo fails at start, not mid-test. */
export function resolveGatewayLimits(overrides: Partial<GatewayLimits> = {}): GatewayLimits {
  const limits = { ...DEFAULT_GATEWAY_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new Error(
        `gateway limit ${name} must be a positive number (got ${String(value)}); fix the limits option or leave it out for the AWS default`,
      );
    }
  }
  return limits;
}

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
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  maxFrameBytes: 32 * 1024,
  maxMessageBytes: 128 * 1024,
  maxPostBytes: 128 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  maxConnectionDurationMs: 2 * 60 * 60 * 1000,
  connectionsPerSecond: 500,
};

/** Defaults merged with overrides, validated once so a typo fails at start, not mid-test. */
export function resolveGatewayLimits(overrides: Partial<GatewayLimits> = {}): GatewayLimits {
  const limits = { ...DEFAULT_GATEWAY_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new Error(`gateway limit ${name} must be a positive number (got ${String(value)}); fix the limits option or leave it out for the AWS default`);
    }
  }
  return limits;
}

/**
 * Everything a function reads from its environment, read once at cold start.
 *
 * Only what every function needs is required up front (the region); a table,
 * the bucket or the Management API endpoint is required when the composition
 * root first wires the adapter that uses it, so `ping` does not need table
 * names and a missing one is reported as the variable to set, once.
 */
import type { BreakerSettings } from "./circuit-breaker";
import type { OidcSettings } from "./identity";
import { WATCHING_MAX_INTERVAL_MS, WATCHING_MIN_INTERVAL_MS } from "./occupancy";
import type { QuotaSettings } from "./usecases/quotas";
import type { ShardCounts } from "./shards";
import type { TopicType } from "./topics";
import {
  envVar,
  subscriptionShards,
  type BucketName,
  type QueueName,
  type SecretName,
  type ShardCountDecl,
  type TableName,
} from "./topology";

/** One SDK call's attempt, unless PUSHGATE_SDK_REQUEST_TIMEOUT_MS says otherwise (adapters/aws-clients.ts). */
export const DEFAULT_SDK_REQUEST_TIMEOUT_MS = 5_000;

export type Env = Record<string, string | undefined>;

/** SST v2 sets a bound secret's variable to this and expects the value to be fetched from SSM. */
export const SST_SECRET_PLACEHOLDER = "__FETCH_FROM_SSM__";

export interface Config {
  region: string;
  stage: string;
  /** SST_APP / SST_STAGE, for the SSM path of secrets; undefined outside SST. */
  sst?: { app: string; stage: string };
  /** Only set by the local cloud (AWS_ENDPOINT_URL_DYNAMODB): its DynamoDB endpoint. */
  dynamodbEndpoint?: string;
  /** Only set by the local cloud (AWS_ENDPOINT_URL_S3): the S3 emulator (path-style, checksums only when required). */
  s3Endpoint?: string;
  /** Per topic kind: topology `subscriptionShards`, with PUSHGATE_SUBSCRIPTION_SHARDS(_BEFORE) over it (`shardCountsFromEnv`). */
  subscriptionShards: ShardCounts;
  fanoutConcurrency: number;
  /** Audience above which a publication is split into tasks (one per subscription shard) on the fan-out task queue. */
  fanoutSplitAbove: number;
  /**
   * The stage's push budget toward the Management API, posts per second,
   * shared by the fan-out task workers (each takes budget / the queue
   * consumer's maxConcurrency). Below the account's 10,000 requests/s, which
   * every API call of the account draws from.
   */
  fanoutRatePerSecond: number;
  /** A fan-out invocation stops taking subscribers when less than this is left before its timeout. */
  fanoutReserveMs: number;
  maxTopicsPerConnection: number;
  /** The shortest wait between two count pushes of one game (occupancy.ts: it grows with the audience from there). */
  watchingMinIntervalMs: number;
  /** Per-connection token bucket for client frames; see usecases/admission.ts. */
  frameRate: { perSecond: number; burst: number; maxStrikes: number; strikeWindowSeconds: number };
  /** Management API client retries (429/5xx/network), full-jitter backoff. */
  pushRetry: { maxAttempts: number; baseMs: number; capMs: number };
  /** Longest one Management API attempt may take (lean client), before it counts as a network failure. */
  pushTimeoutMs: number;
  /** Longest one attempt of any AWS SDK call may take before the SDK gives up on it and retries (aws-clients.ts). */
  sdkRequestTimeoutMs: number;
  /** "lean" (default): SigV4 over keep-alive HTTP, ~0.8 ms less CPU per push; "sdk": the AWS SDK client, the fallback. */
  managementClient: "lean" | "sdk";
  /** The circuit breaker and bulkhead around the Management API (per function instance). */
  breaker: BreakerSettings;
  tokenTtlSeconds: number;
  tokenRenewalGraceSeconds: number;
  /** A session's absolute lifetime from its first token, carried through renewals. */
  sessionMaxSeconds: number;
  /**
   * Which tokens name a fan: pushgate's anonymous sessions (POST /session) and/or
   * one external OIDC issuer's (identity.ts). At least one is on.
   */
  identity: { anonymousSessions: boolean; oidc?: OidcSettings };
  /** Per-fan and per-address quotas (usecases/quotas.ts); a limit of 0 turns one off. */
  quotas: QuotaSettings;
  /** Lifetime of presigned snapshot and result URLs. */
  presignSeconds: number;
  table(name: TableName): string;
  bucket(name: BucketName): string;
  queueUrl(name: QueueName): string;
  managementEndpoint(): string;
  /** The public WebSocket URL fans connect to (`wss://...`); only the canary opens a socket. */
  websocketUrl(): string;
  /** How long the canary waits for each step (connect, ack, the push, the snapshot) before it reports failure. */
  canaryTimeoutMs: number;
  /** A secret's value when the environment carries it (the local cloud); else undefined (read SSM). */
  secretFromEnv(name: SecretName): string | undefined;
}

const MAX_SUBSCRIPTION_SHARDS = 256;

/**
 * Each kind's shard counts: topology `subscriptionShards`, overridden by
 * PUSHGATE_SUBSCRIPTION_SHARDS (new connections) and
 * PUSHGATE_SUBSCRIPTION_SHARDS_BEFORE (what connections still alive were
 * given), each either one count for every kind (`16`) or counts by kind
 * (`game=2,queue=4`; the kinds not named keep the topology's).
 */
export function shardCountsFromEnv(env: Env): ShardCounts {
  const overrides = (name: string): Partial<Record<TopicType, number>> => {
    const raw = env[name]?.trim();
    if (!raw) return {};
    const kinds = Object.keys(subscriptionShards) as TopicType[];
    const countOf = (text: string): number => {
      const value = Number(text);
      if (!Number.isInteger(value) || value < 1 || value > MAX_SUBSCRIPTION_SHARDS)
        throw new ConfigError(
          `environment variable ${name}=${JSON.stringify(raw)}: ${JSON.stringify(text)} is not a shard count from 1 to ${MAX_SUBSCRIPTION_SHARDS}; write e.g. 16 or game=64,queue=16, or unset it for topology.ts's`,
        );
      return value;
    };
    if (!raw.includes("=")) return Object.fromEntries(kinds.map((kind) => [kind, countOf(raw)]));
    return Object.fromEntries(
      raw.split(",").map((pair) => {
        const [kind = "", count = ""] = pair.split("=").map((part) => part.trim());
        if (!kinds.includes(kind as TopicType))
          throw new ConfigError(
            `environment variable ${name}=${JSON.stringify(raw)}: ${JSON.stringify(kind)} is not a topic kind; name one of ${kinds.join(", ")} (e.g. game=64)`,
          );
        return [kind, countOf(count)];
      }),
    );
  };
  const counts = overrides("PUSHGATE_SUBSCRIPTION_SHARDS");
  const before = overrides("PUSHGATE_SUBSCRIPTION_SHARDS_BEFORE");
  return Object.fromEntries(
    (Object.entries(subscriptionShards) as [TopicType, ShardCountDecl][]).map(([kind, declared]) => [
      kind,
      { count: counts[kind] ?? declared.count, before: before[kind] ?? declared.before },
    ]),
  ) as Record<TopicType, ShardCountDecl>;
}

/** An integer setting: `fallback` when unset, a ConfigError naming the variable when out of range. */
function integerSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `environment variable ${name}=${JSON.stringify(raw)} must be an integer from ${min} to ${max}; unset it for the default ${fallback}`,
    );
  }
  return value;
}

export type FanoutSettings = Pick<Config, "fanoutConcurrency" | "fanoutSplitAbove" | "fanoutRatePerSecond" | "fanoutReserveMs">;

/** The fan-out's tuning alone: loadConfig's, and the bench's (which sizes its raw POST baselines to match). */
export function fanoutSettingsFromEnv(env: Env): FanoutSettings {
  return {
    fanoutConcurrency: integerSetting(env, "PUSHGATE_FANOUT_CONCURRENCY", 50, 1, 1000),
    fanoutSplitAbove: integerSetting(env, "PUSHGATE_FANOUT_SPLIT_ABOVE", 2_000, 1, 1_000_000),
    fanoutRatePerSecond: integerSetting(env, "PUSHGATE_FANOUT_RATE_PER_SECOND", 8_000, 1, 1_000_000),
    fanoutReserveMs: integerSetting(env, "PUSHGATE_FANOUT_RESERVE_MS", 10_000, 0, 900_000),
  };
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function loadConfig(env: Env = process.env): Config {
  const required = (name: string, forWhat: string): string => {
    const value = env[name]?.trim();
    if (!value) throw new ConfigError(`environment variable ${name} is not set; ${forWhat}`);
    return value;
  };
  const integer = (name: string, fallback: number, min: number, max: number) => integerSetting(env, name, fallback, min, max);
  const url = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    if (!raw) return undefined;
    if (!/^https?:\/\//.test(raw) || !URL.canParse(raw))
      throw new ConfigError(`environment variable ${name}=${JSON.stringify(raw)} is not a URL; set it to e.g. http://127.0.0.1:8000`);
    return raw;
  };
  const grantHint = "grant it to this function in packages/core/src/topology.ts (locally, the local cloud sets it from there)";

  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim();
  if (!region) throw new ConfigError("environment variable AWS_REGION is not set; Lambda sets it, locally set it (e.g. us-east-1)");
  const sstApp = env.SST_APP?.trim();
  const sstStage = env.SST_STAGE?.trim();

  return {
    region,
    stage: env[envVar.stage]?.trim() || sstStage || "local",
    ...(sstApp && sstStage && { sst: { app: sstApp, stage: sstStage } }),
    // The SDK's own variables (set by the local cloud, as for any code written for AWS); read here
    // too because an S3 endpoint other than AWS's needs path-style URLs, which no variable sets.
    dynamodbEndpoint: url("AWS_ENDPOINT_URL_DYNAMODB"),
    s3Endpoint: url("AWS_ENDPOINT_URL_S3"),
    subscriptionShards: shardCountsFromEnv(env),
    ...fanoutSettingsFromEnv(env),
    maxTopicsPerConnection: integer("PUSHGATE_MAX_TOPICS_PER_CONNECTION", 50, 1, 1000),
    watchingMinIntervalMs: integer("PUSHGATE_WATCHING_INTERVAL_MS", WATCHING_MIN_INTERVAL_MS, 100, WATCHING_MAX_INTERVAL_MS),
    frameRate: {
      perSecond: integer("PUSHGATE_FRAME_RATE_PER_SECOND", 10, 1, 1000),
      burst: integer("PUSHGATE_FRAME_BURST", 20, 1, 10_000),
      maxStrikes: integer("PUSHGATE_FRAME_RATE_STRIKES", 10, 0, 10_000),
      strikeWindowSeconds: integer("PUSHGATE_FRAME_RATE_STRIKE_WINDOW_SECONDS", 60, 1, 86_400),
    },
    pushRetry: {
      maxAttempts: integer("PUSHGATE_PUSH_MAX_ATTEMPTS", 3, 1, 10),
      baseMs: integer("PUSHGATE_PUSH_RETRY_BASE_MS", 100, 1, 10_000),
      capMs: integer("PUSHGATE_PUSH_RETRY_CAP_MS", 2_000, 1, 60_000),
    },
    pushTimeoutMs: integer("PUSHGATE_PUSH_TIMEOUT_MS", 5_000, 100, 60_000),
    sdkRequestTimeoutMs: integer("PUSHGATE_SDK_REQUEST_TIMEOUT_MS", DEFAULT_SDK_REQUEST_TIMEOUT_MS, 100, 60_000),
    managementClient: env.PUSHGATE_MANAGEMENT_CLIENT?.trim().toLowerCase() === "sdk" ? "sdk" : "lean",
    breaker: {
      failureRateThreshold: integer("PUSHGATE_BREAKER_FAILURE_PERCENT", 50, 1, 100) / 100,
      minimumVolume: integer("PUSHGATE_BREAKER_MINIMUM_VOLUME", 20, 1, 100_000),
      windowMs: integer("PUSHGATE_BREAKER_WINDOW_MS", 10_000, 100, 600_000),
      sleepWindowMs: integer("PUSHGATE_BREAKER_SLEEP_MS", 5_000, 10, 600_000),
      maxConcurrent: integer("PUSHGATE_BREAKER_MAX_CONCURRENT", 100, 1, 10_000),
      maxWaitMs: integer("PUSHGATE_BREAKER_MAX_WAIT_MS", 20_000, 0, 600_000),
    },
    tokenTtlSeconds: integer("PUSHGATE_TOKEN_TTL_SECONDS", 30 * 60, 60, 24 * 3600),
    tokenRenewalGraceSeconds: integer("PUSHGATE_TOKEN_RENEWAL_GRACE_SECONDS", 3600, 0, 7 * 24 * 3600),
    sessionMaxSeconds: integer("PUSHGATE_SESSION_MAX_SECONDS", 12 * 3600, 60, 30 * 24 * 3600),
    identity: identitySettings(env, url),
    quotas: {
      jobsPerFan: {
        limit: integer("PUSHGATE_QUOTA_JOBS_PER_FAN", 10, 0, 1_000_000),
        windowSeconds: integer("PUSHGATE_QUOTA_JOBS_WINDOW_SECONDS", 3600, 1, 7 * 24 * 3600),
      },
      joinsPerFan: {
        limit: integer("PUSHGATE_QUOTA_JOINS_PER_FAN", 10, 0, 1_000_000),
        windowSeconds: integer("PUSHGATE_QUOTA_JOINS_WINDOW_SECONDS", 60, 1, 7 * 24 * 3600),
      },
      sessionsPerAddress: {
        limit: integer("PUSHGATE_QUOTA_SESSIONS_PER_ADDRESS", 60, 0, 1_000_000),
        windowSeconds: integer("PUSHGATE_QUOTA_SESSIONS_WINDOW_SECONDS", 60, 1, 7 * 24 * 3600),
      },
      sessionsFromLoopback: integer("PUSHGATE_QUOTA_SESSIONS_FROM_LOOPBACK", 0, 0, 1) === 1,
    },
    presignSeconds: integer("PUSHGATE_PRESIGN_SECONDS", 3600, 60, 7 * 24 * 3600),
    table: (name) => required(envVar.table(name), `the function uses table ${name}: ${grantHint}`),
    bucket: (name) => required(envVar.bucket(name), `the function uses bucket ${name}: ${grantHint}`),
    queueUrl: (name) => required(envVar.queue(name), `the function sends to queue ${name}: ${grantHint}`),
    managementEndpoint: () => required(envVar.managementEndpoint, `the function pushes to sockets: ${grantHint}`),
    websocketUrl: () => required(envVar.websocketUrl, `the canary connects as a fan: ${grantHint}`),
    canaryTimeoutMs: integer("PUSHGATE_CANARY_TIMEOUT_MS", 10_000, 100, 60_000),
    secretFromEnv: (name) => {
      const value = env[`SST_Secret_value_${name}`];
      return value && value !== SST_SECRET_PLACEHOLDER ? value : undefined;
    },
  };
}

/** Where SST v2 `Config.Secret` keeps a secret, and its app-wide fallback. */
export const ssmSecretPaths = (sst: { app: string; stage: string }, name: SecretName): [string, string] => [
  `/sst/${sst.app}/${sst.stage}/Secret/${name}/value`,
  `/sst/${sst.app}/.fallback/Secret/${name}/value`,
];

function identitySettings(env: Env, url: (name: string) => string | undefined): Config["identity"] {
  const issuer = url("PUSHGATE_OIDC_ISSUER");
  const audience = env.PUSHGATE_OIDC_AUDIENCE?.trim();
  const jwksUrl = url("PUSHGATE_OIDC_JWKS_URL");
  const anonymous = env.PUSHGATE_ANONYMOUS_SESSIONS?.trim() || "1";
  if (anonymous !== "0" && anonymous !== "1")
    throw new ConfigError(`environment variable PUSHGATE_ANONYMOUS_SESSIONS=${JSON.stringify(anonymous)} must be 1 (on) or 0 (off)`);
  if (issuer && !audience)
    throw new ConfigError(
      "PUSHGATE_OIDC_ISSUER is set but PUSHGATE_OIDC_AUDIENCE is not; set it to your app client id (Cognito) or API identifier",
    );
  if (!issuer && (audience || jwksUrl))
    throw new ConfigError(
      "PUSHGATE_OIDC_AUDIENCE or PUSHGATE_OIDC_JWKS_URL is set without PUSHGATE_OIDC_ISSUER; set the issuer too, or unset them",
    );
  if (anonymous === "0" && !issuer)
    throw new ConfigError(
      "PUSHGATE_ANONYMOUS_SESSIONS=0 leaves no way to sign in; set PUSHGATE_OIDC_ISSUER and PUSHGATE_OIDC_AUDIENCE, or unset it",
    );
  return { anonymousSessions: anonymous === "1", ...(issuer && audience && { oidc: { issuer, audience, ...(jwksUrl && { jwksUrl }) } }) };
}

import { describe, expect, it } from "vitest";
import { loadConfig, ssmSecretPaths } from "../src/config";
import { toErrorFrame, toHttpError, PushgateError } from "../src/errors";

describe("config from the environment", () => {
  const base = { AWS_REGION: "eu-west-1" };

  it("defaults what it can", () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      region: "eu-west-1",
      stage: "local",
      fanoutConcurrency: 50,
      tokenTtlSeconds: 1800,
    });
    expect(config.dynamodbEndpoint).toBeUndefined();
  });

  it("names the variable to set, only when a function uses the resource", () => {
    const config = loadConfig(base);
    expect(() => config.table("games")).toThrow(/PUSHGATE_TABLE_GAMES is not set; the function uses table games/);
    expect(() => config.bucket("data")).toThrow(/PUSHGATE_BUCKET_DATA is not set/);
    expect(() => config.managementEndpoint()).toThrow(/PUSHGATE_WS_MANAGEMENT_ENDPOINT is not set/);
    expect(loadConfig({ ...base, PUSHGATE_TABLE_GAMES: "dev-pushgate-games" }).table("games")).toBe("dev-pushgate-games");
  });

  it("refuses bad values with the range and the default", () => {
    expect(() => loadConfig({})).toThrow(/AWS_REGION is not set/);
    expect(() => loadConfig({ ...base, PUSHGATE_SUBSCRIPTION_SHARDS: "0" })).toThrow(
      /"0" is not a shard count from 1 to 256; write e.g. 16 or game=64,queue=16, or unset it for topology.ts's/,
    );
    expect(() => loadConfig({ ...base, AWS_ENDPOINT_URL_DYNAMODB: "localhost:8000" })).toThrow(/is not a URL/);
  });

  it("sessions end after 12 hours and fans have quotas, unless the stage says otherwise", () => {
    const config = loadConfig(base);
    expect(config.sessionMaxSeconds).toBe(43_200);
    expect(config.quotas).toEqual({
      jobsPerFan: { limit: 10, windowSeconds: 3600 },
      joinsPerFan: { limit: 10, windowSeconds: 60 },
      sessionsPerAddress: { limit: 60, windowSeconds: 60 },
      sessionsFromLoopback: false,
    });
    const tuned = loadConfig({
      ...base,
      PUSHGATE_QUOTA_JOBS_PER_FAN: "0",
      PUSHGATE_QUOTA_SESSIONS_FROM_LOOPBACK: "1",
      PUSHGATE_SESSION_MAX_SECONDS: "3600",
    });
    expect([tuned.quotas.jobsPerFan.limit, tuned.quotas.sessionsFromLoopback, tuned.sessionMaxSeconds]).toEqual([0, true, 3600]);
  });

  it("identity: anonymous sessions by default; an OIDC issuer needs its audience; turning anonymous off needs an issuer", () => {
    expect(loadConfig(base).identity).toEqual({ anonymousSessions: true });
    const oidc = { PUSHGATE_OIDC_ISSUER: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool", PUSHGATE_OIDC_AUDIENCE: "client-1" };
    expect(loadConfig({ ...base, ...oidc, PUSHGATE_ANONYMOUS_SESSIONS: "0" }).identity).toEqual({
      anonymousSessions: false,
      oidc: { issuer: oidc.PUSHGATE_OIDC_ISSUER, audience: "client-1" },
    });
    expect(() => loadConfig({ ...base, PUSHGATE_OIDC_ISSUER: oidc.PUSHGATE_OIDC_ISSUER })).toThrow(
      /PUSHGATE_OIDC_AUDIENCE is not; set it to your app client id/,
    );
    expect(() => loadConfig({ ...base, PUSHGATE_OIDC_AUDIENCE: "client-1" })).toThrow(/without PUSHGATE_OIDC_ISSUER/);
    expect(() => loadConfig({ ...base, PUSHGATE_ANONYMOUS_SESSIONS: "0" })).toThrow(/leaves no way to sign in; set PUSHGATE_OIDC_ISSUER/);
    expect(() => loadConfig({ ...base, PUSHGATE_ANONYMOUS_SESSIONS: "no" })).toThrow(/must be 1 \(on\) or 0 \(off\)/);
  });

  it("secrets: a real value from the environment; SST's placeholder means SSM", () => {
    expect(loadConfig({ ...base, SST_Secret_value_JWT_SECRET: "s3cret" }).secretFromEnv("JWT_SECRET")).toBe("s3cret");
    expect(loadConfig({ ...base, SST_Secret_value_JWT_SECRET: "__FETCH_FROM_SSM__" }).secretFromEnv("JWT_SECRET")).toBeUndefined();
    expect(ssmSecretPaths({ app: "pushgate", stage: "prod" }, "OPERATOR_KEY")).toEqual([
      "/sst/pushgate/prod/Secret/OPERATOR_KEY/value",
      "/sst/pushgate/.fallback/Secret/OPERATOR_KEY/value",
    ]);
  });
});

describe("errors at the edges", () => {
  it("HTTP: the status of the code and the JSON body", () => {
    expect(toHttpError(new PushgateError("FORBIDDEN", "not your job"))).toEqual({
      status: 403,
      body: { error: { code: "FORBIDDEN", message: "not your job" } },
      headers: {},
    });
    expect(toHttpError(new PushgateError("UNAUTHORIZED", "x")).status).toBe(401);
    expect(toHttpError(new PushgateError("TOO_LARGE", "x")).status).toBe(413);
  });

  it("an unexpected error never shows its message or stack", () => {
    const leak = new Error("connect ECONNREFUSED 10.0.0.1:443 at /var/task/index.js");
    expect(JSON.stringify(toHttpError(leak))).not.toMatch(/ECONNREFUSED|var\/task/);
    expect(toHttpError(leak).status).toBe(500);
    expect(toErrorFrame(leak, "r1")).toEqual({
      type: "error",
      id: "r1",
      code: "INTERNAL",
      message: expect.not.stringMatching(/ECONNREFUSED/),
    });
  });

  it("WebSocket: an error frame within protocol v1's codes", () => {
    expect(toErrorFrame(new PushgateError("INVALID_TOPIC", "bad"), "r2")).toEqual({
      type: "error",
      id: "r2",
      code: "INVALID_TOPIC",
      message: "bad",
    });
    expect(toErrorFrame(new PushgateError("UNAUTHORIZED", "who")).code).toBe("FORBIDDEN");
  });
});

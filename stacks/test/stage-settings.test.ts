/** The per-stage identity, session and quota settings the stacks hand to every function (no synthesis needed). */
import { describe, expect, it } from "vitest";
import { stageLimits } from "../Realtime";

describe("stage settings from the deploying shell", () => {
  it("passes on exactly the identity, session and quota variables", () => {
    const env = {
      PUSHGATE_QUOTA_JOBS_PER_FAN: "20",
      PUSHGATE_SESSION_MAX_SECONDS: "28800",
      PUSHGATE_OIDC_ISSUER: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
      PUSHGATE_OIDC_AUDIENCE: "4example5client6id",
      PUSHGATE_FANOUT_CONCURRENCY: "7",
      AWS_SECRET_ACCESS_KEY: "never-copied",
    };
    expect(stageLimits("us-east-1", env)).toEqual({
      PUSHGATE_QUOTA_JOBS_PER_FAN: "20",
      PUSHGATE_SESSION_MAX_SECONDS: "28800",
      PUSHGATE_OIDC_ISSUER: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
      PUSHGATE_OIDC_AUDIENCE: "4example5client6id",
    });
  });

  it("fails the deploy on a value the functions would refuse, saying what to set", () => {
    expect(() => stageLimits("us-east-1", { PUSHGATE_QUOTA_JOBS_PER_FAN: "lots" })).toThrow(
      /PUSHGATE_QUOTA_JOBS_PER_FAN="lots" must be an integer/,
    );
    expect(() => stageLimits("us-east-1", { PUSHGATE_OIDC_ISSUER: "https://issuer.example" })).toThrow(/PUSHGATE_OIDC_AUDIENCE is not/);
    expect(() => stageLimits("us-east-1", { PUSHGATE_ANONYMOUS_SESSIONS: "0" })).toThrow(/leaves no way to sign in/);
  });
});

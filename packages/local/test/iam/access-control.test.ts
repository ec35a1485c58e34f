/**
 * The policy decision itself (no emulator, no Java): the statements matched to
 * an action are remembered per principal and action, and the answers stay
 * IAM's for every resource, action spelling and principal, whatever was asked
 * before.
 */
import type { PolicyStatement } from "@pushgate/core/iam-policy";
import { describe, expect, it } from "vitest";
import { AccessControl, type Principal } from "../../src/iam/access-control";

const connections = "arn:aws:execute-api:us-east-1:123456789012:api1/local";
const subscriptionsTable = "arn:aws:dynamodb:us-east-1:123456789012:table/subscriptions";

const accessControl = () => new AccessControl({ region: "us-east-1", accountId: "123456789012", log: () => {} });
const principal = (name: string, statements: PolicyStatement[]): Principal => ({
  name,
  arn: `arn:aws:sts::123456789012:assumed-role/${name}/${name}`,
  statements,
  sessionToken: undefined,
});

describe("AccessControl.allows", () => {
  it("answers per resource on every call, after the action's statements were remembered", () => {
    const access = accessControl();
    const fanout = principal("gamesFanout", [
      { actions: ["dynamodb:Query"], resources: [subscriptionsTable] },
      { actions: ["execute-api:ManageConnections"], resources: [`${connections}/POST/@connections/*`] },
    ]);
    for (const id of ["a", "b", "c"])
      expect(access.allows(fanout, "execute-api:ManageConnections", `${connections}/POST/@connections/${id}`)).toBe(true);
    // The same action on a resource no statement covers: refused, not answered from what was remembered.
    expect(access.allows(fanout, "execute-api:ManageConnections", `${connections}/DELETE/@connections/a`)).toBe(false);
    expect(
      access.allows(fanout, "execute-api:ManageConnections", "arn:aws:execute-api:us-east-1:123456789012:other/local/POST/@connections/a"),
    ).toBe(false);
    // IAM compares actions without case.
    expect(access.allows(fanout, "Execute-API:manageconnections", `${connections}/POST/@connections/d`)).toBe(true);
    // An action no statement names is refused, also on a resource another action may touch.
    expect(access.allows(fanout, "dynamodb:PutItem", subscriptionsTable)).toBe(false);
    expect(access.allows(fanout, "dynamodb:Query", subscriptionsTable)).toBe(true);
  });

  it("keeps principals apart: what one may do says nothing about another asking the same action", () => {
    const access = accessControl();
    const fanout = principal("gamesFanout", [
      { actions: ["execute-api:ManageConnections"], resources: [`${connections}/POST/@connections/*`] },
    ]);
    const subscribe = principal("ws-subscribe", [{ actions: ["dynamodb:*"], resources: ["*"] }]);
    expect(access.allows(fanout, "execute-api:ManageConnections", `${connections}/POST/@connections/a`)).toBe(true);
    expect(access.allows(subscribe, "execute-api:ManageConnections", `${connections}/POST/@connections/a`)).toBe(false);
    expect(access.allows(subscribe, "dynamodb:Query", "arn:aws:dynamodb:us-east-1:123456789012:table/games")).toBe(true);
    expect(access.allows(fanout, "dynamodb:Query", "arn:aws:dynamodb:us-east-1:123456789012:table/games")).toBe(false);
  });
});

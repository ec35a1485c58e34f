/**
 * IAM for the `@connections` Management API: the caller's SigV4 signature for
 * service `execute-api`, then `execute-api:ManageConnections` on
 * `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/@connections/{id}`,
 * answered with API Gateway's 403s when refused.
 */
import type { ManagementAuthorizer } from "../gateway/management-api";
import { authenticationErrorType, type AccessControl } from "./access-control";
import { connectionArn } from "./arns";

export function managementAuthorizer(accessControl: AccessControl, apiId: string, stage: string): ManagementAuthorizer {
  return (request, method, connectionId) => {
    const auth = accessControl.authenticate(request, "execute-api");
    if (!auth.ok) {
      // API Gateway says "Missing Authentication Token" as a ForbiddenException (the SDK's modeled 403).
      if (auth.problem === "missing") return { status: 403, errorType: "ForbiddenException", message: "Missing Authentication Token" };
      return { status: 403, errorType: authenticationErrorType(auth.problem), message: auth.message };
    }
    const resource = connectionArn(accessControl.region, accessControl.accountId, apiId, stage, method, connectionId);
    const denial = accessControl.authorize(auth.principal, "execute-api:ManageConnections", [resource]);
    return denial ? { status: 403, errorType: "AccessDeniedException", message: denial.message } : undefined;
  };
}

/**
 * One role per function of the topology, as the stacks deploy them: the
 * statements `policyFor` derives from its grants, credentials issued for it,
 * and the environment Lambda would give it (its credentials, its region, the
 * standard AWS_ENDPOINT_URL_<SERVICE> variables pointing at the emulators, and
 * only the table names it is granted).
 */
import { policyFor } from "@pushgate/core/iam-policy";
import { envVar, type FunctionDecl, type TableName, type TopologyShape } from "@pushgate/core/topology";
import { functionNameFor, parseHandlerRef } from "../invoke/handler-ref";
import type { AccessControl, Credentials } from "./access-control";
import { localResourceArns, type LocalNames } from "./arns";

export interface ServiceEndpoints {
  dynamodb: string;
  s3: string;
  ssm: string;
  sqs?: string;
}

export interface FunctionRoles {
  /** The function's own credentials (also what its stream consumer's poller signs with). */
  credentials(fn: FunctionDecl): Credentials;
  /** The complete environment of one function: `shared`, its credentials, endpoints and granted tables. */
  environmentFor(fn: FunctionDecl): Record<string, string>;
}

export function createFunctionRoles(
  topology: TopologyShape,
  names: LocalNames,
  accessControl: AccessControl,
  endpoints: ServiceEndpoints,
  shared: Record<string, string>,
): FunctionRoles {
  const arns = localResourceArns(names);
  const declared: { fn: FunctionDecl; consumes?: string; consumesQueue?: string }[] = [
    ...Object.values(topology.websocket.routes).map((route) => ({ fn: route.function })),
    ...Object.values(topology.http.routes).map((route) => ({ fn: route.function })),
    ...Object.values(topology.consumers).map((consumer) => ({ fn: consumer.function, consumes: consumer.table })),
    ...Object.values(topology.schedules ?? {}).map((schedule) => ({ fn: schedule.function })),
    ...Object.entries(topology.queues ?? {}).map(([name, queue]) => ({ fn: queue.function, consumesQueue: name })),
  ];
  const byHandler = new Map<string, { credentials: Credentials; environment: Record<string, string> }>();
  for (const { fn, consumes, consumesQueue } of declared) {
    const shortName = parseHandlerRef(fn.handler).name;
    const roleName = `${names.stage}-${names.app}-${functionNameFor(shortName)}`;
    const credentials = accessControl.issueForFunction(
      shortName,
      roleName,
      policyFor(fn, arns, { ...(consumes && { consumes }), ...(consumesQueue && { consumesQueue }) }),
    );
    const environment: Record<string, string> = {
      ...shared,
      AWS_REGION: names.region,
      AWS_DEFAULT_REGION: names.region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken!,
      AWS_LAMBDA_FUNCTION_NAME: functionNameFor(shortName),
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_ENDPOINT_URL_SSM: endpoints.ssm,
      ...(endpoints.sqs && { AWS_ENDPOINT_URL_SQS: endpoints.sqs }),
      // SST sets these on every function; core reads secrets at SST's SSM paths from them.
      SST_APP: names.app,
      SST_STAGE: names.stage,
      ...Object.fromEntries(Object.keys(fn.grants.tables ?? {}).map((table) => [envVar.table(table as TableName), names.tables[table]!])),
    };
    byHandler.set(fn.handler, { credentials, environment });
  }
  const roleOf = (fn: FunctionDecl) => {
    const role = byHandler.get(fn.handler);
    if (!role) throw new Error(`${fn.handler} is not a function of the topology the local cloud started with; declare it in topology.ts`);
    return role;
  };
  return { credentials: (fn) => roleOf(fn).credentials, environmentFor: (fn) => roleOf(fn).environment };
}

/**
 * Both Management API clients behind the Gateway port, so one contract test
 * runs against each: the AWS SDK adapter (the fallback) and the lean one (the
 * default). Credentials come from the default provider chain (environment) in both.
 */
import { managementApiClient } from "../src/adapters/aws-clients";
import { LeanManagementApiGateway } from "../src/adapters/lean-management-api-gateway";
import { ManagementApiGateway } from "../src/adapters/management-api-gateway";
import { DEFAULT_PUSH_RETRY, type PushRetryOptions } from "../src/adapters/push-retry-policy";
import type { Gateway } from "../src/ports";

export interface ClosableGateway extends Gateway {
  close(): void;
}

export type MakeGateway = (endpoint: string, retry?: PushRetryOptions) => ClosableGateway;

const region = "us-east-1";

export const managementGateways: [name: string, make: MakeGateway][] = [
  [
    "SDK client",
    (endpoint, retry = DEFAULT_PUSH_RETRY) => {
      const client = managementApiClient({ region, pushRetry: retry }, endpoint);
      return Object.assign(new ManagementApiGateway(() => client), { close: () => void client.then((made) => made.destroy()) });
    },
  ],
  [
    "lean client",
    (endpoint, retry = DEFAULT_PUSH_RETRY) => new LeanManagementApiGateway({ endpoint, region, retry, maxSockets: 8, timeoutMs: 5_000 }),
  ],
];

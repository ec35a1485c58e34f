/**
 * Gateway over the API Gateway Management API through the AWS SDK client (the
 * fallback: PUSHGATE_MANAGEMENT_CLIENT=sdk). Retries are the SDK client's,
 * configured with the shared policy (`pushRetryStrategy` in aws-clients.ts);
 * what each answer means is shared with the lean client
 * (management-api-outcomes.ts).
 */
import type { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import type { Gateway, PostOutcome } from "../ports";
import { loadManagementApiSdk } from "./aws-clients";
import { deleteFailure, postFailure } from "./management-api-outcomes";

export class ManagementApiGateway implements Gateway {
  constructor(private readonly client: () => Promise<ApiGatewayManagementApiClient>) {}

  async post(connectionId: string, data: string): Promise<PostOutcome> {
    try {
      const [{ PostToConnectionCommand }, client] = await Promise.all([loadManagementApiSdk(), this.client()]);
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(data, "utf8") }));
      return "ok";
    } catch (error) {
      return postFailure(error);
    }
  }

  async delete(connectionId: string): Promise<void> {
    try {
      const [{ DeleteConnectionCommand }, client] = await Promise.all([loadManagementApiSdk(), this.client()]);
      await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (error) {
      deleteFailure(error);
    }
  }
}

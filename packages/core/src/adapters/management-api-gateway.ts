/** Gateway over the API Gateway Management API; 410 GoneException is an answer, not an error. */
import {
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
  type ApiGatewayManagementApiClient,
} from "@aws-sdk/client-apigatewaymanagementapi";
import type { Gateway, PostOutcome } from "../ports";

const isGone = (error: unknown) => error instanceof GoneException || (error as { name?: string } | null)?.name === "GoneException";

export class ManagementApiGateway implements Gateway {
  constructor(private readonly client: () => ApiGatewayManagementApiClient) {}

  async post(connectionId: string, data: string): Promise<PostOutcome> {
    try {
      await this.client().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(data, "utf8") }));
      return "ok";
    } catch (error) {
      if (isGone(error)) return "gone";
      throw error;
    }
  }

  async delete(connectionId: string): Promise<void> {
    try {
      await this.client().send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
}

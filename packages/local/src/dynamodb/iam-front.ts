/**
 * The DynamoDB (and DynamoDB Streams) endpoint the local cloud hands out: IAM
 * in front of DynamoDB Local, which checks no credential at all. Each call is
 * verified (SigV4), mapped to the IAM actions and resources AWS would check
 * (`dynamodb:Query` on `table/T/index/I`, each table of a batch, each item of
 * a transaction, the stream of an iterator), authorized, and only then passed
 * to the jar, which listens on loopback behind it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { closeServer, listen, readBody } from "../http-server";
import { describeError, type Log } from "../log";
import { authenticationErrorType, type AccessControl } from "../iam/access-control";
import { localStreamArn, tableArn } from "../iam/arns";
import { forward, receivedRequest } from "../iam/guarded-request";

export interface DynamoDbFrontOptions {
  accessControl: AccessControl;
  /** DynamoDB Local's own port (loopback). */
  jarPort: () => number;
  port?: number;
  host?: string;
  log: Log;
}

export interface DynamoDbFront {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** DynamoDB's own limit on a request is 16 MB (BatchWriteItem). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

interface Check {
  action: string;
  resources: string[];
}

export async function startDynamoDbFront(options: DynamoDbFrontOptions): Promise<DynamoDbFront> {
  const { accessControl, log } = options;
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log("error", `DynamoDB front: ${describeError(error)}`);
      if (!response.headersSent) refuse(response, 500, "InternalServerError", "Internal error in the local DynamoDB front; see its log.");
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const body = await readBody(request, MAX_BODY_BYTES);
    if (body === "too large") return refuse(response, 413, "RequestEntityTooLarge", "Request body over 16 MB.");
    const auth = accessControl.authenticate(receivedRequest(request, body), "dynamodb");
    if (!auth.ok) return refuse(response, 400, authenticationErrorType(auth.problem), auth.message);
    const target = String(request.headers["x-amz-target"] ?? "");
    const input = parseInput(body);
    if (!input) return refuse(response, 400, "SerializationException", "The request body is not a JSON object.");
    for (const check of checksFor(target, input)) {
      const denial = accessControl.authorize(auth.principal, check.action, check.resources);
      if (denial) return refuse(response, 400, "AccessDeniedException", denial.message);
    }
    forward(request, response, { port: options.jarPort(), path: request.url ?? "/", headers: request.headers, body });
  }

  /** A request body as DynamoDB reads it: a JSON object (AWS answers anything else, `null` included, with SerializationException). */
  function parseInput(body: Buffer): TargetedInput | undefined {
    if (!body.length) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      return undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
    const transactItems = (parsed as TargetedInput).TransactItems;
    if (transactItems !== undefined && !(Array.isArray(transactItems) && transactItems.every(isTransactItem))) return undefined;
    return parsed as TargetedInput;
  }

  function isTransactItem(item: unknown): boolean {
    if (typeof item !== "object" || item === null) return false;
    return Object.values(item).every((detail) => typeof detail === "object" && detail !== null);
  }

  /** The fields of a DynamoDB request that name what it touches; the rest is DynamoDB Local's to validate. */
  interface TargetedInput {
    TableName?: unknown;
    IndexName?: unknown;
    RequestItems?: Record<string, unknown>;
    StreamArn?: unknown;
    ShardIterator?: unknown;
    TransactItems?: Record<string, { TableName?: string }>[];
  }

  /** What IAM checks for one call: an action and the resources it touches. */
  function checksFor(target: string, input: TargetedInput): Check[] {
    const operation = target.slice(target.indexOf(".") + 1);
    const table = (name: unknown) => tableArn(accessControl.region, accessControl.accountId, String(name));
    const stream = (arn: unknown) => localStreamArn(accessControl.region, accessControl.accountId, String(arn));
    if (operation === "TransactWriteItems" || operation === "TransactGetItems") {
      // No action of their own: each item is checked as the single-item call it is.
      const actions: Record<string, string> = {
        Put: "PutItem",
        Update: "UpdateItem",
        Delete: "DeleteItem",
        ConditionCheck: "ConditionCheckItem",
        Get: "GetItem",
      };
      return (input.TransactItems ?? []).flatMap((item) =>
        Object.entries(item).map(([kind, detail]) => ({
          action: `dynamodb:${actions[kind] ?? kind}`,
          resources: [table(detail.TableName)],
        })),
      );
    }
    const action = `dynamodb:${operation}`;
    if (input.RequestItems) return [{ action, resources: Object.keys(input.RequestItems).map(table) }];
    if (input.TableName !== undefined) {
      return [{ action, resources: [input.IndexName ? `${table(input.TableName)}/index/${input.IndexName}` : table(input.TableName)] }];
    }
    if (input.StreamArn !== undefined) return [{ action, resources: [stream(input.StreamArn)] }];
    // DynamoDB Local's shard iterators begin with their stream's ARN.
    if (input.ShardIterator !== undefined) return [{ action, resources: [stream(String(input.ShardIterator).split("|")[0])] }];
    return [{ action, resources: ["*"] }];
  }

  const port = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => closeServer(server),
  };
}

/** DynamoDB's JSON 1.0 error: the SDK reads the exception from `__type`. */
function refuse(response: ServerResponse, status: number, type: string, message: string) {
  const body = JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message });
  response.writeHead(status, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": Buffer.byteLength(body),
    "x-amzn-requestid": randomUUID(),
  });
  response.end(body);
}

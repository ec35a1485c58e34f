/**
 * A local SSM Parameter Store, enough for SST v2 secrets: the local cloud
 * writes each secret at SST's stage path, and functions read it the way they
 * do on AWS (`GetParameters`, JSON 1.1 over SigV4), authorized against their
 * own grants. `GetParameter` is served too, so code that uses it is refused
 * for the reason AWS would refuse it (the missing grant), not for an unknown
 * operation.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { closeServer, listen, readBody } from "../http-server";
import { describeError, type Log } from "../log";
import { authenticationErrorType, type AccessControl } from "../iam/access-control";
import { parameterArn } from "../iam/arns";
import { receivedRequest } from "../iam/guarded-request";

export interface LocalSsmOptions {
  accessControl: AccessControl;
  /** Parameter name -> value; stored as SecureString, as `sst secrets set` does. */
  parameters: Record<string, string>;
  port?: number;
  host?: string;
  log: Log;
}

export interface LocalSsm {
  endpoint: string;
  stop(): Promise<void>;
}

interface StoredParameter {
  value: string;
  version: number;
  modified: Date;
}

export async function startLocalSsm(options: LocalSsmOptions): Promise<LocalSsm> {
  const { accessControl, log } = options;
  const store = new Map<string, StoredParameter>(
    Object.entries(options.parameters).map(([name, value]) => [name, { value, version: 1, modified: new Date() }]),
  );
  const arnOf = (name: string) => parameterArn(accessControl.region, accessControl.accountId, name);

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log("error", `local SSM: ${describeError(error)}`);
      if (!response.headersSent)
        answer(response, 500, { __type: "InternalServerError", message: "Internal error in the local SSM; see its log." });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const body = await readBody(request, 1024 * 1024);
    if (body === "too large") return answer(response, 400, { __type: "ValidationException", message: "Request body over 1 MB." });
    const auth = accessControl.authenticate(receivedRequest(request, body), "ssm");
    if (!auth.ok) return answer(response, 400, { __type: authenticationErrorType(auth.problem), message: auth.message });
    const operation = String(request.headers["x-amz-target"] ?? "").replace(/^AmazonSSM\./, "");
    let input: { Name?: string; Names?: string[] };
    try {
      input = JSON.parse(body.toString("utf8") || "{}");
    } catch {
      return answer(response, 400, { __type: "SerializationException", message: "The request body is not JSON." });
    }
    const names = operation === "GetParameters" ? (input.Names ?? []) : operation === "GetParameter" ? [input.Name ?? ""] : undefined;
    if (!names) {
      return answer(response, 400, {
        __type: "InvalidAction",
        message: `The local SSM serves GetParameters and GetParameter, not ${operation || "(no X-Amz-Target)"}.`,
      });
    }
    if (names.length === 0 || names.length > 10)
      return answer(response, 400, { __type: "ValidationException", message: "Names must hold 1 to 10 parameter names." });
    const denial = accessControl.authorize(auth.principal, `ssm:${operation}`, names.map(arnOf));
    if (denial) return answer(response, 400, { __type: "AccessDeniedException", message: denial.message });

    const found = names.flatMap((name) => {
      const stored = store.get(name);
      return stored
        ? [
            {
              Name: name,
              Type: "SecureString",
              Value: stored.value,
              Version: stored.version,
              LastModifiedDate: stored.modified.getTime() / 1000,
              ARN: arnOf(name),
              DataType: "text",
            },
          ]
        : [];
    });
    if (operation === "GetParameter") {
      if (found.length === 0) return answer(response, 400, { __type: "ParameterNotFound", message: `Parameter ${names[0]} not found.` });
      return answer(response, 200, { Parameter: found[0] });
    }
    return answer(response, 200, { Parameters: found, InvalidParameters: names.filter((name) => !store.has(name)) });
  }

  const port = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => closeServer(server),
  };
}

function answer(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
  });
  response.end(text);
}

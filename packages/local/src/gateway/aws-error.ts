import type { ServerResponse } from "node:http";

/**
 * An API Gateway error answer. The SDK picks the exception class from the
 * `x-amzn-ErrorType` header, so it must be exact: a bare 410 becomes
 * `name: "Unknown"` instead of GoneException (see docs/aws-facts.md, "API Gateway WebSocket semantics").
 */
export function sendAwsError(
  response: ServerResponse,
  status: number,
  errorType: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ message });
  response.writeHead(status, {
    ...headers,
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    "x-amzn-ErrorType": errorType,
  });
  response.end(body);
}

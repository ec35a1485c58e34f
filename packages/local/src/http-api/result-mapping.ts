/**
 * How API Gateway turns a payload format 2.0 result into an HTTP response:
 * an object with `statusCode` is taken as the response; anything else (a
 * string, an object without statusCode) is a 200 whose body is the JSON of the
 * result (a string is sent as it is).
 */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

export const jsonMessage = (statusCode: number, message: string): HttpResponse => ({
  statusCode,
  headers: { "content-type": "application/json" },
  cookies: [],
  body: Buffer.from(JSON.stringify({ message })),
});

/** Returns undefined for a malformed result, which API Gateway answers with 500. */
export function mapHandlerResult(result: unknown): HttpResponse | undefined {
  if (typeof result === "string") {
    return { statusCode: 200, headers: { "content-type": "application/json" }, cookies: [], body: Buffer.from(result) };
  }
  if (typeof result !== "object" || result === null || !("statusCode" in result)) {
    return {
      statusCode: 200,
      headers: { "content-type": "application/json" },
      cookies: [],
      body: Buffer.from(JSON.stringify(result ?? null)),
    };
  }
  const structured = result as { statusCode: unknown; headers?: unknown; body?: unknown; isBase64Encoded?: unknown; cookies?: unknown };
  const statusCode = structured.statusCode;
  if (typeof statusCode !== "number" || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return undefined;
  const headers: Record<string, string> = {};
  if (structured.headers !== undefined) {
    if (typeof structured.headers !== "object" || structured.headers === null) return undefined;
    for (const [name, value] of Object.entries(structured.headers)) headers[name.toLowerCase()] = String(value);
  }
  const cookies = Array.isArray(structured.cookies) ? structured.cookies.map(String) : [];
  let body = Buffer.alloc(0);
  if (structured.body !== undefined && structured.body !== null) {
    if (typeof structured.body !== "string") return undefined;
    body = structured.isBase64Encoded === true ? Buffer.from(structured.body, "base64") : Buffer.from(structured.body);
  }
  return { statusCode, headers, cookies, body };
}

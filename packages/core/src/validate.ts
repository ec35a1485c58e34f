/** Request bodies are checked with zod here, once, into BAD_REQUEST that names the field. */
import type { z } from "zod";
import { PushgateError } from "./errors";

export function parseBody<T>(schema: z.ZodType<T>, body: unknown, example: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join(".") : "body";
  throw new PushgateError("BAD_REQUEST", `${where}: ${issue?.message ?? "invalid"}; send e.g. ${example}`);
}

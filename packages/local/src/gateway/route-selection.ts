/**
 * `$request.body.action`: a JSON object whose string `action` names a custom
 * route goes there; anything else (not JSON, not an object, no action, an
 * unknown action) goes to `$default`. Returns undefined when that route does
 * not exist either, which API Gateway answers with a "Forbidden" frame.
 */
export function selectRouteKey(body: string, routeKeys: ReadonlySet<string>): string | undefined {
  let action: unknown;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) action = (parsed as Record<string, unknown>).action;
  } catch {
    // Not JSON: falls through to $default, exactly like API Gateway.
  }
  if (typeof action === "string" && !action.startsWith("$") && routeKeys.has(action)) return action;
  return routeKeys.has("$default") ? "$default" : undefined;
}

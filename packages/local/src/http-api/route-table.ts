/**
 * HTTP API route keys, `METHOD /path/{param}` (or `ANY`, `{proxy+}`, and
 * `$default`), compiled once and matched the way API Gateway picks a route:
 * the most specific match wins, whatever the declaration order.
 */
export interface RouteMatch<T> {
  routeKey: string;
  value: T;
  pathParameters: Record<string, string> | undefined;
}

interface CompiledRoute<T> {
  routeKey: string;
  method: string;
  segments: { literal?: string; param?: string; greedy?: boolean }[];
  value: T;
  /** Sort key: literal segments count for more than parameters; greedy routes go last. */
  specificity: number[];
}

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"]);

function compile<T>(routeKey: string, value: T): CompiledRoute<T> {
  const match = /^([A-Z]+) (\/[^\s]*)$/.exec(routeKey);
  if (!match || !METHODS.has(match[1]!)) {
    throw new Error(
      `HTTP route key "${routeKey}" is not "METHOD /path" (METHOD one of ${[...METHODS].join(", ")}) or "$default"; fix it in topology.ts`,
    );
  }
  const parts = match[2] === "/" ? [] : match[2]!.slice(1).split("/");
  const segments = parts.map((part, index) => {
    const param = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(part);
    if (!param) return { literal: part };
    if (param[2] === "+" && index !== parts.length - 1) {
      throw new Error(`HTTP route key "${routeKey}": a greedy {${param[1]}+} must be the last segment; fix it in topology.ts`);
    }
    return { param: param[1]!, greedy: param[2] === "+" };
  });
  const greedy = segments.some((segment) => segment.greedy);
  const literals = segments.filter((segment) => segment.literal !== undefined).length;
  return {
    routeKey,
    method: match[1]!,
    segments,
    value,
    specificity: [greedy ? 0 : 1, literals, segments.length, match[1] === "ANY" ? 0 : 1],
  };
}

function matchPath(route: CompiledRoute<unknown>, pathSegments: string[]): Record<string, string> | undefined | false {
  const parameters: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i]!;
    if (segment.greedy) {
      const rest = pathSegments.slice(i);
      if (rest.length === 0 || rest.join("/") === "") return false;
      parameters[segment.param!] = rest.map(safeDecode).join("/");
      return parameters;
    }
    const actual = pathSegments[i];
    if (actual === undefined) return false;
    if (segment.literal !== undefined) {
      if (segment.literal !== actual) return false;
    } else {
      if (actual === "") return false;
      parameters[segment.param!] = safeDecode(actual);
    }
  }
  if (pathSegments.length !== route.segments.length) return false;
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

const safeDecode = (value: string) => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

export function createRouteTable<T>(routes: Record<string, T>) {
  const compiled: CompiledRoute<T>[] = [];
  let fallback: T | undefined;
  for (const [routeKey, value] of Object.entries(routes)) {
    if (routeKey === "$default") fallback = value;
    else compiled.push(compile(routeKey, value));
  }
  compiled.sort((a, b) => {
    for (let i = 0; i < a.specificity.length; i++) if (a.specificity[i] !== b.specificity[i]) return b.specificity[i]! - a.specificity[i]!;
    return 0;
  });

  return {
    match(method: string, rawPath: string): RouteMatch<T> | undefined {
      const pathSegments = rawPath === "/" ? [] : rawPath.slice(1).split("/");
      for (const route of compiled) {
        if (route.method !== "ANY" && route.method !== method) continue;
        const parameters = matchPath(route, pathSegments);
        if (parameters !== false) return { routeKey: route.routeKey, value: route.value, pathParameters: parameters };
      }
      return fallback === undefined ? undefined : { routeKey: "$default", value: fallback, pathParameters: undefined };
    },
  };
}

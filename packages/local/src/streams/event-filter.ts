/**
 * Lambda event filtering (the EventBridge pattern grammar) for stream records.
 * A record reaches the function if it matches any one pattern; within a
 * pattern every key must match. Leaves are arrays of matchers, any of which
 * may match; an array value in the record matches if any element does.
 *
 * Supported, as on AWS: exact values (string, number, boolean, null), prefix,
 * suffix, equals-ignore-case, exists, anything-but (value, list, prefix or
 * suffix) and numeric ranges. Numeric matchers apply to JSON numbers only: a
 * DynamoDB `N` attribute is a string in the event, so on AWS `numeric` does not
 * match it either; match such values exactly or by prefix.
 */
export type FilterPattern = Record<string, unknown>;

const operators = ["prefix", "suffix", "equals-ignore-case", "exists", "anything-but", "numeric"] as const;
type Operator = (typeof operators)[number];

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isScalar = (value: unknown) => value === null || ["string", "number", "boolean"].includes(typeof value);

/** Throws, naming the consumer and the bad part, on a pattern AWS would reject. */
export function validateFilterPatterns(patterns: FilterPattern[], owner: string): void {
  const check = (pattern: unknown, path: string): void => {
    if (Array.isArray(pattern)) {
      for (const matcher of pattern) {
        if (isScalar(matcher)) continue;
        const keys = isPlainObject(matcher) ? Object.keys(matcher) : [];
        if (keys.length !== 1 || !operators.includes(keys[0] as Operator)) {
          throw new Error(
            `Filter of ${owner} at ${path}: ${JSON.stringify(matcher)} is not a supported matcher; use a plain value or one of ${operators.join(", ")} (Lambda filter syntax).`,
          );
        }
      }
      return;
    }
    if (!isPlainObject(pattern)) {
      throw new Error(
        `Filter of ${owner} at ${path || "the top"}: leaves must be arrays of matchers, e.g. { eventName: ["INSERT"] }, not ${JSON.stringify(pattern)}.`,
      );
    }
    for (const [key, value] of Object.entries(pattern)) check(value, path ? `${path}.${key}` : key);
  };
  patterns.forEach((pattern, index) => {
    check(pattern, `filters[${index}]`);
  });
}

export function matchesAnyPattern(record: unknown, patterns: FilterPattern[] | undefined): boolean {
  if (!patterns || patterns.length === 0) return true;
  return patterns.some((pattern) => matchesPattern(pattern, record));
}

function matchesPattern(pattern: Record<string, unknown>, value: unknown): boolean {
  return Object.entries(pattern).every(([key, subPattern]) => {
    const field = isPlainObject(value) ? value[key] : undefined;
    return Array.isArray(subPattern) ? matchesLeaf(subPattern, field) : matchesPattern(subPattern as Record<string, unknown>, field);
  });
}

function matchesLeaf(matchers: unknown[], field: unknown): boolean {
  if (field === undefined) return matchers.some((matcher) => isPlainObject(matcher) && matcher.exists === false);
  const values = Array.isArray(field) ? field : [field];
  return matchers.some((matcher) => values.some((value) => matchesOne(matcher, value)));
}

function matchesOne(matcher: unknown, value: unknown): boolean {
  if (!isPlainObject(matcher)) return matcher === value;
  const [operator, argument] = Object.entries(matcher)[0] as [Operator, unknown];
  switch (operator) {
    case "exists":
      return argument === true;
    case "prefix":
      return typeof value === "string" && value.startsWith(String(argument));
    case "suffix":
      return typeof value === "string" && value.endsWith(String(argument));
    case "equals-ignore-case":
      return typeof value === "string" && value.toLowerCase() === String(argument).toLowerCase();
    case "anything-but":
      return !anythingButExcludes(argument, value);
    case "numeric":
      return typeof value === "number" && numericMatches(argument as unknown[], value);
  }
}

function anythingButExcludes(argument: unknown, value: unknown): boolean {
  if (Array.isArray(argument)) return argument.includes(value);
  if (isPlainObject(argument)) {
    if ("prefix" in argument) return typeof value === "string" && value.startsWith(String(argument.prefix));
    if ("suffix" in argument) return typeof value === "string" && value.endsWith(String(argument.suffix));
    throw new Error(
      `anything-but supports a value, a list, prefix or suffix; got ${JSON.stringify(argument)}. Fix the consumer's filters in topology.ts.`,
    );
  }
  return argument === value;
}

function numericMatches(conditions: unknown[], value: number): boolean {
  for (let index = 0; index < conditions.length; index += 2) {
    const operator = conditions[index];
    const bound = Number(conditions[index + 1]);
    const ok =
      operator === "="
        ? value === bound
        : operator === "<"
          ? value < bound
          : operator === "<="
            ? value <= bound
            : operator === ">"
              ? value > bound
              : operator === ">="
                ? value >= bound
                : undefined;
    if (ok === undefined) throw new Error(`Unknown numeric operator ${String(operator)}; use =, <, <=, > or >= in the consumer's filters.`);
    if (!ok) return false;
  }
  return true;
}

/**
 * IAM for the local cloud: who is calling (credentials this cloud issued, the
 * signature verified) and whether their policy allows the action on the
 * resource. Every emulated service (DynamoDB, DynamoDB Streams, S3, SSM, the
 * `@connections` Management API) asks this one object, so a function's grants
 * mean the same everywhere, as on AWS.
 *
 * Principals are the functions (each its own role, with the statements
 * `policyFor` derives from its topology grants) and one operator principal
 * with full access for tools, seed data, benchmarks and tests.
 */
import { randomBytes } from "node:crypto";
import type { PolicyStatement } from "@pushgate/core/iam-policy";
import type { Log } from "../log";
import { verifySignature, type ReceivedRequest, type SignatureProblem } from "./sigv4";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface Principal {
  /** The function's short name (`ws/subscribe`, `gamesFanout`) or `operator`. */
  name: string;
  /** What AWS names in a refusal: `arn:aws:sts::{account}:assumed-role/{role}/{session}`. */
  arn: string;
  statements: readonly PolicyStatement[];
  /** Role credentials (functions) come with a session token that must be sent; the operator's are long-term keys. */
  sessionToken: string | undefined;
}

export type Authentication =
  | { ok: true; principal: Principal; presigned: boolean }
  | { ok: false; problem: SignatureProblem | "bad-token"; message: string };

/**
 * The error type AWS's JSON services (DynamoDB, SSM, API Gateway) answer an
 * unauthenticated request with; S3 has its own XML codes (s3/iam-front.ts).
 */
export function authenticationErrorType(problem: SignatureProblem | "bad-token"): string {
  if (problem === "missing") return "MissingAuthenticationTokenException";
  if (problem === "unknown-key" || problem === "bad-token") return "UnrecognizedClientException";
  return "InvalidSignatureException";
}

export interface Denial {
  principal: Principal;
  action: string;
  resource: string;
  /** AWS's wording, for the error the caller receives. */
  message: string;
}

export interface AccessControlOptions {
  region: string;
  accountId: string;
  log: Log;
  /** Says which grant in topology.ts would allow a refused call; appended to the log line. */
  grantHint?: (action: string, resource: string) => string | undefined;
  clock?: () => Date;
}

export class AccessControl {
  readonly region: string;
  readonly accountId: string;
  private readonly byKey = new Map<string, { principal: Principal; secret: string }>();
  private readonly patterns = new Map<string, RegExp>();
  /** Per principal, per action as called: the statements that may allow it (see statementsFor). */
  private readonly statementsByAction = new WeakMap<Principal, Map<string, readonly PolicyStatement[]>>();

  constructor(private readonly options: AccessControlOptions) {
    this.region = options.region;
    this.accountId = options.accountId;
  }

  /** Role credentials for one function, as Lambda hands its execution role's to the runtime. */
  issueForFunction(name: string, roleName: string, statements: readonly PolicyStatement[]): Credentials {
    const sessionToken = randomBytes(48).toString("base64");
    const arn = `arn:aws:sts::${this.accountId}:assumed-role/${roleName}/${name.replace(/[^\w+=,.@-]/g, "-")}`;
    return this.issue({ name, arn, statements, sessionToken }, "ASIA");
  }

  /** Full access: what `adminCredentials` in endpoints.json carries. */
  issueOperator(): Credentials {
    const arn = `arn:aws:iam::${this.accountId}:user/pushgate-local-operator`;
    return this.issue({ name: "operator", arn, statements: [{ actions: ["*"], resources: ["*"] }], sessionToken: undefined }, "AKIA");
  }

  /** Full access for a fixed key pair: a standalone emulator's default operator (see startS3). */
  registerOperator(credentials: Credentials): void {
    const arn = `arn:aws:iam::${this.accountId}:user/pushgate-local-operator`;
    this.byKey.set(credentials.accessKeyId, {
      principal: { name: "operator", arn, statements: [{ actions: ["*"], resources: ["*"] }], sessionToken: undefined },
      secret: credentials.secretAccessKey,
    });
  }

  /** The principal of credentials this cloud issued (an event source mapping acts with its function's role). */
  principalOf(credentials: Credentials): Principal {
    const entry = this.byKey.get(credentials.accessKeyId);
    if (!entry) throw new Error(`access key ${credentials.accessKeyId} was not issued by this local cloud`);
    return entry.principal;
  }

  /** Verifies the request's SigV4 signature (header or presigned) and, for role credentials, its session token. */
  authenticate(request: ReceivedRequest, service: string): Authentication {
    const check = verifySignature(request, {
      service,
      region: this.region,
      now: this.options.clock?.() ?? new Date(),
      secretFor: (accessKeyId) => this.byKey.get(accessKeyId)?.secret,
    });
    if (!check.ok) return { ok: false, problem: check.problem, message: check.message };
    const { principal } = this.byKey.get(check.accessKeyId)!;
    if (principal.sessionToken !== undefined && check.sessionToken !== principal.sessionToken) {
      return { ok: false, problem: "bad-token", message: "The security token included in the request is invalid." };
    }
    return { ok: true, principal, presigned: check.presigned };
  }

  /**
   * Undefined when the principal's policy allows `action` on every resource;
   * else the first refusal, logged once with the function, the action, the
   * resource and the grant it lacks.
   */
  authorize(principal: Principal, action: string, resources: readonly string[]): Denial | undefined {
    for (const resource of resources) {
      if (this.allows(principal, action, resource)) continue;
      const message = `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
      const hint = this.options.grantHint?.(action, resource);
      this.options.log(
        "error",
        `IAM refused ${principal.name}: ${action} on ${resource}; its grants in packages/core/src/topology.ts do not allow it${hint ? ` (it lacks ${hint})` : ""}. On AWS this call fails the same way.`,
      );
      return { principal, action, resource, message };
    }
    return undefined;
  }

  allows(principal: Principal, action: string, resource: string): boolean {
    return this.statementsFor(principal, action).some((statement) =>
      statement.resources.some((pattern) => this.matches(pattern, resource)),
    );
  }

  /**
   * The principal's statements whose actions match `action` (case-insensitive,
   * as IAM compares actions). A principal's statements never change and the
   * actions it calls are few, while the resource differs on every call (each
   * `@connections` post names its connection): so the action side is matched
   * once per (principal, action), not once per request, and a fan-out's posts
   * only test the resource patterns of the statements that can allow them.
   */
  private statementsFor(principal: Principal, action: string): readonly PolicyStatement[] {
    let byAction = this.statementsByAction.get(principal);
    if (!byAction) this.statementsByAction.set(principal, (byAction = new Map()));
    let statements = byAction.get(action);
    if (!statements) {
      const wanted = action.toLowerCase();
      statements = principal.statements.filter((statement) =>
        statement.actions.some((pattern) => this.matches(pattern.toLowerCase(), wanted)),
      );
      byAction.set(action, statements);
    }
    return statements;
  }

  private issue(principal: Principal, prefix: string): Credentials {
    const accessKeyId = prefix + randomBytes(8).toString("hex").toUpperCase();
    const secretAccessKey = randomBytes(30).toString("base64");
    this.byKey.set(accessKeyId, { principal, secret: secretAccessKey });
    return { accessKeyId, secretAccessKey, ...(principal.sessionToken !== undefined && { sessionToken: principal.sessionToken }) };
  }

  /** IAM wildcards: `*` any run of characters (slashes included), `?` one character. */
  private matches(pattern: string, value: string): boolean {
    if (pattern === "*") return true;
    let regex = this.patterns.get(pattern);
    if (!regex) {
      regex = new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, "\\$&")
          .replace(/\*/g, ".*")
          .replace(/\?/g, ".")}$`,
        "s",
      );
      this.patterns.set(pattern, regex);
    }
    return regex.test(value);
  }
}

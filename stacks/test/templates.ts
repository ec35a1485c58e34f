import type { Synthesized } from "./synth";

/** Read-only views over the synthesized CloudFormation, shared by the tests. */

export interface Resource {
  Type: string;
  Properties: Record<string, any>;
}
export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}
interface TemplateJson {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
}

export const actionsOf = (statement: Statement) => [statement.Action].flat();

export type Views = ReturnType<typeof views>;

export function views(synth: Synthesized) {
  const stacks = {
    gateway: synth.gateway.toJSON() as TemplateJson,
    web: synth.web.toJSON() as TemplateJson,
    storage: synth.storage.toJSON() as TemplateJson,
    realtime: synth.realtime.toJSON() as TemplateJson,
  };

  const exported = new Map<string, unknown>();
  for (const template of Object.values(stacks))
    for (const output of Object.values(template.Outputs ?? {})) if (output.Export) exported.set(output.Export.Name, output.Value);

  /** Logical ids a value points at (Ref, GetAtt), following cross-stack imports to their exporting stack. */
  function referencedIds(value: unknown, into = new Set<string>()): Set<string> {
    if (Array.isArray(value)) for (const item of value) referencedIds(item, into);
    else if (value && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        if (key === "Ref" && typeof inner === "string") into.add(inner);
        else if (key === "Fn::GetAtt") into.add((inner as string[])[0]!);
        else if (key === "Fn::ImportValue") {
          if (!exported.has(inner as string)) throw new Error(`no stack exports ${String(inner)}`);
          referencedIds(exported.get(inner as string), into);
        } else referencedIds(inner, into);
      }
    }
    return into;
  }

  /**
   * A CloudFormation value as one string: `{Id.Arn}` for a GetAtt, `{Id}` for a
   * Ref, `aws` for the partition, joins concatenated, imports followed to the
   * exporting stack. Lets a test compare ARNs built from tokens with literals.
   */
  function render(value: unknown): string {
    if (typeof value === "string") return value;
    const [key, inner] = Object.entries(value as Record<string, unknown>)[0] ?? [];
    if (key === "Ref") return inner === "AWS::Partition" ? "aws" : `{${String(inner)}}`;
    if (key === "Fn::GetAtt") return `{${(inner as string[]).join(".")}}`;
    if (key === "Fn::Join") return (inner as [string, unknown[]])[1].map(render).join((inner as [string])[0]);
    if (key === "Fn::ImportValue") {
      if (!exported.has(inner as string)) throw new Error(`no stack exports ${String(inner)}`);
      return render(exported.get(inner as string));
    }
    throw new Error(`cannot render ${JSON.stringify(value)}`);
  }

  const resourcesOf = (stack: keyof typeof stacks, type: string) =>
    Object.entries(stacks[stack].Resources).filter(([, resource]) => resource.Type === type);

  /** The one Lambda function whose Handler is the topology's handler string. */
  function functionFor(handler: string): [string, Resource] {
    const found = resourcesOf("realtime", "AWS::Lambda::Function").filter(([, fn]) => fn.Properties.Handler === handler);
    if (found.length !== 1) throw new Error(`${found.length} functions with handler ${handler}`);
    return found[0]!;
  }

  /** Every IAM statement of a function's role. */
  function statementsOf(functionId: string): Statement[] {
    const fn = stacks.realtime.Resources[functionId]!;
    const [roleId] = referencedIds(fn.Properties.Role);
    return resourcesOf("realtime", "AWS::IAM::Policy")
      .filter(([, policy]) => (policy.Properties.Roles as unknown[]).some((role) => referencedIds(role).has(roleId!)))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
  }

  /** Logical id of the table whose physical name ends with `-{name}`. */
  function tableId(name: string): string {
    const found = resourcesOf("storage", "AWS::DynamoDB::Table").filter(([, table]) => table.Properties.TableName.endsWith(`-${name}`));
    if (found.length !== 1) throw new Error(`${found.length} tables named ${name}`);
    return found[0]![0];
  }

  return { stacks, referencedIds, render, resourcesOf, functionFor, statementsOf, tableId };
}

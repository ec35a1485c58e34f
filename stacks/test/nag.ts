/**
 * cdk-nag's AwsSolutions and Serverless packs over the synthesized app, as
 * the stacks tests run it: every finding that is not suppressed in the stacks
 * (stacks/nag-suppressions.ts) is collected here, so a test can demand none.
 */
import { Aspects } from "aws-cdk-lib/core";
import type { IConstruct } from "constructs";
import { AwsSolutionsChecks, ServerlessChecks, type INagLogger } from "cdk-nag";

export interface NagFinding {
  /** `AwsSolutions-S10`, or a rule id with its finding (`AwsSolutions-IAM5[Action::s3:*]`). */
  rule: string;
  /** The construct path of the resource, e.g. `test-pushgate-Storage/data/Bucket/Resource`. */
  path: string;
  /** A rule that threw instead of deciding (cdk-nag reports those too; they hide a finding). */
  error?: string;
}

export interface NagResults {
  /** What no suppression covers: the test wants none. */
  findings: NagFinding[];
  /** Rule ids reported and suppressed (with their reasons, in the stacks): proof the packs ran. */
  suppressed: Set<string>;
}

/** Applies both packs to `app` (before synthesis); the results fill as the app is synthesized. */
export function applyNag(app: IConstruct): NagResults {
  const findings: NagFinding[] = [];
  const suppressed = new Set<string>();
  const ignore = () => {};
  const collector: INagLogger = {
    onCompliance: ignore,
    onNotApplicable: ignore,
    onSuppressed: (data) => void suppressed.add(data.ruleId),
    onSuppressedError: (data) => void suppressed.add(data.ruleId),
    onNonCompliance: (data) =>
      findings.push({
        rule: !data.findingId || data.ruleId === data.findingId ? data.ruleId : `${data.ruleId}[${data.findingId}]`,
        path: data.resource.node.path,
      }),
    onError: (data) => findings.push({ rule: data.ruleId, path: data.resource.node.path, error: data.errorMessage }),
  };
  // No reports (CSV files) and no console output: the test prints what is left.
  Aspects.of(app).add(new AwsSolutionsChecks({ reports: false, logIgnores: false, additionalLoggers: [collector] }));
  Aspects.of(app).add(new ServerlessChecks({ reports: false, logIgnores: false, additionalLoggers: [collector] }));
  return { findings, suppressed };
}

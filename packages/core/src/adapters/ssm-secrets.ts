/**
 * Reads an SST v2 `Config.Secret` from SSM the way SST binds it: the stage's
 * path, then the app-wide fallback, in one `GetParameters` call. That is the
 * action SST's binding grants (and iam-policy.ts grants); `GetParameter`
 * (singular) is a different IAM action and would be refused on AWS.
 */
import type { SSMClient } from "@aws-sdk/client-ssm";
import { loadSsmSdk } from "./aws-clients";

export async function readSsmSecret(ssm: SSMClient, paths: readonly string[]): Promise<string> {
  const { GetParametersCommand } = await loadSsmSdk();
  const { Parameters = [] } = await ssm.send(new GetParametersCommand({ Names: [...paths], WithDecryption: true }));
  for (const path of paths) {
    const value = Parameters.find((parameter) => parameter.Name === path)?.Value;
    if (value) return value;
  }
  throw new Error(`no secret at SSM ${paths.join(" or ")}; set it with \`npx sst secrets set <NAME> <value> --stage <stage>\``);
}

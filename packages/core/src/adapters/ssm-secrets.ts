/** Reads an SST v2 `Config.Secret` from SSM the way SST binds it: the stage's path, then the app-wide fallback. */
import { GetParameterCommand, ParameterNotFound, type SSMClient } from "@aws-sdk/client-ssm";

export async function readSsmSecret(ssm: SSMClient, paths: readonly string[]): Promise<string> {
  for (const path of paths) {
    try {
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: path, WithDecryption: true }));
      if (Parameter?.Value) return Parameter.Value;
    } catch (error) {
      if (!(error instanceof ParameterNotFound)) throw error;
    }
  }
  throw new Error(`no secret at SSM ${paths.join(" or ")}; set it with \`npx sst secrets set <NAME> <value> --stage <stage>\``);
}

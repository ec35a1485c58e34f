/**
 * The java command line that runs DynamoDB Local bound to one host, through
 * our launcher (packages/local/java/LoopbackDynamoDbLocal.java): the jar's own
 * main class listens on every interface.
 *
 * The launcher is compiled once with javac into node_modules/.cache, in a
 * folder named by the hash of its source and of the jar it is compiled
 * against, and reused by every later start. Java's single-file source launcher
 * (`java File.java`) would need the same JDK but recompile in memory on every
 * start, adding about a second to each start of the local cloud.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { DynamoDbLocalJar } from "./jar";

const here = dirname(fileURLToPath(import.meta.url));
export const launcherSource = resolve(here, "../../java/LoopbackDynamoDbLocal.java");
const launcherClass = basename(launcherSource, ".java");
const defaultCacheRoot = resolve(here, "../../../../node_modules/.cache/pushgate");

/** java runs DynamoDB Local and javac compiles its launcher once, so a JRE alone is not enough. */
export const jdkInstallHint =
  "Install a JDK 17: `apt-get install -y openjdk-17-jdk-headless` (Debian/Ubuntu) or `brew install openjdk@17` (macOS), " +
  "or pass `java` / set JAVA_HOME to a JDK 17+ installation.";

export interface LauncherOptions {
  jar: DynamoDbLocalJar;
  /** The java executable; javac is looked up beside it, then on PATH. */
  java: string;
  /** Default: node_modules/.cache/pushgate at the repository root. */
  cacheRoot?: string;
}

/** The folder holding the compiled launcher; compiles it if this source and jar have not been compiled before. */
export async function compiledLauncher(options: LauncherOptions): Promise<string> {
  const source = readFileSync(launcherSource);
  const hash = createHash("sha256").update(source).update("\0").update(options.jar.jar).digest("hex").slice(0, 16);
  const classDir = join(options.cacheRoot ?? defaultCacheRoot, `dynamodb-launcher-${hash}`);
  if (existsSync(join(classDir, `${launcherClass}.class`))) return classDir;

  // Compiled into a private folder and renamed into place, so two starts
  // compiling at once (parallel test files) never see a half-written class.
  const scratch = `${classDir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  mkdirSync(scratch, { recursive: true });
  const javac = javacBeside(options.java);
  try {
    await promisify(execFile)(javac, ["--release", "17", "-nowarn", "-cp", options.jar.jar, "-d", scratch, launcherSource]);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === "ENOENT") throw new Error(`javac was not found (tried \`${javac}\`). ${jdkInstallHint}`, { cause: error });
    throw new Error(`Compiling ${launcherSource} failed: ${failure.stderr?.trim() || failure.message}. ${jdkInstallHint}`, {
      cause: error,
    });
  }
  try {
    renameSync(scratch, classDir);
  } catch (error) {
    // Another start won the race: its class is the same.
    rmSync(scratch, { recursive: true, force: true });
    if (!existsSync(join(classDir, `${launcherClass}.class`))) throw error;
  }
  return classDir;
}

/** Arguments for `java` that start DynamoDB Local on `host` through the launcher. */
export function launcherArgs(jar: DynamoDbLocalJar, classDir: string, host: string, jarOptions: string[]): string[] {
  return [
    `-Djava.library.path=${jar.nativeLibs}`,
    // C1 only and the serial collector: ready in ~2 s at ~170 MB instead of ~4 s / 300 MB.
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    // The jar's manifest Class-Path brings DynamoDBLocal_lib/ along, as with -jar.
    "-cp",
    [jar.jar, classDir].join(delimiter),
    launcherClass,
    "--host",
    host,
    ...jarOptions,
  ];
}

function javacBeside(java: string): string {
  if (java !== basename(java)) {
    const candidate = join(dirname(java), process.platform === "win32" ? "javac.exe" : "javac");
    if (existsSync(candidate)) return candidate;
  }
  return "javac";
}

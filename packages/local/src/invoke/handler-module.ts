import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { HandlerRef } from "./handler-ref";
import type { LambdaHandler } from "./invoker";

const SOURCE_EXTENSIONS = [".ts", ".mts", ".tsx", ".js", ".mjs"];

/** The source file a handler declaration points at, with its extension. */
export function resolveHandlerFile(rootDir: string, ref: HandlerRef): string {
  const base = resolve(rootDir, ref.modulePath);
  for (const extension of SOURCE_EXTENSIONS) {
    if (existsSync(base + extension)) return base + extension;
  }
  throw new Error(
    `handler "${ref.handler}": no file ${base}{${SOURCE_EXTENSIONS.join(",")}}; create it or fix FunctionDecl.handler in topology.ts (paths are relative to ${rootDir})`,
  );
}

/** The named export of a loaded handler module, checked to be a function. */
export function pickHandlerExport(module: Record<string, unknown>, ref: HandlerRef, file: string): LambdaHandler {
  const exported = module[ref.exportName];
  if (typeof exported !== "function") {
    const found = Object.keys(module).join(", ") || "nothing";
    throw new Error(
      `${file} has no exported function "${ref.exportName}" (it exports ${found}); export it or fix FunctionDecl.handler "${ref.handler}"`,
    );
  }
  return exported as LambdaHandler;
}

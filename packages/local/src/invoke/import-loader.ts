import { pathToFileURL } from "node:url";
import type { FunctionDecl } from "@pushgate/core";
import { pickHandlerExport, resolveHandlerFile } from "./handler-module";
import { parseHandlerRef } from "./handler-ref";
import type { LoadHandler } from "./invoker";

/**
 * Loads handlers with a plain `import()` of their TypeScript source. Works
 * wherever TypeScript can be imported directly (vitest, tsx); no bundling and
 * no hot reload: the module cache keeps the first version. Use it in tests;
 * the dev CLI uses createHandlerLoader.
 */
export function createImportLoader(options: { rootDir: string }): LoadHandler {
  return async (fn: FunctionDecl) => {
    const ref = parseHandlerRef(fn.handler);
    const file = resolveHandlerFile(options.rootDir, ref);
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    return pickHandlerExport(module, ref, file);
  };
}

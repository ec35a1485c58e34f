/**
 * SST's handler convention: `path/to/file.exportName`, relative to the
 * repository root, e.g. `packages/functions/src/ws/connect.handler` is the
 * export `handler` of `packages/functions/src/ws/connect.ts`.
 */
export interface HandlerRef {
  /** The declaration as written in topology.ts. */
  handler: string;
  /** Module path relative to the root, without extension. */
  modulePath: string;
  exportName: string;
  /** Short name for logs and bundles: the path after `src/`, e.g. `ws/connect`. */
  name: string;
}

export function parseHandlerRef(handler: string): HandlerRef {
  const dot = handler.lastIndexOf(".");
  const slash = handler.lastIndexOf("/");
  if (dot <= slash + 1 || dot === handler.length - 1) {
    throw new Error(
      `handler "${handler}" is not "path/to/file.exportName"; fix FunctionDecl.handler in topology.ts (e.g. "packages/functions/src/ws/connect.handler")`,
    );
  }
  const modulePath = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const srcAt = `/${modulePath}`.lastIndexOf("/src/");
  const name = srcAt >= 0 ? modulePath.slice(srcAt + "src/".length) : modulePath;
  return { handler, modulePath, exportName, name };
}

/** A Lambda function name (letters, digits, `-`, `_`) derived from a short name. */
export const functionNameFor = (name: string) => name.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");

import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createImportLoader, createInvoker } from "../../src/invoke";
import { collectingLog } from "./fake-time";

const rootDir = resolve(import.meta.dirname, "../../../..");
const fixture = "packages/local/test/invoke/fixtures/echo-handler";
const decl = (handler: string) => ({ handler, timeoutSeconds: 5, memoryMB: 128, grants: {} });

describe("createImportLoader", () => {
  it("imports a TypeScript handler by its FunctionDecl path", async () => {
    const invoke = createInvoker({ loadHandler: createImportLoader({ rootDir }), log: collectingLog().log });
    await expect(invoke(decl(`${fixture}.handler`), { value: "hi" })).resolves.toEqual({ echoed: "hi" });
  });

  it("says which export is missing and what the module exports", async () => {
    const load = createImportLoader({ rootDir });
    await expect(load(decl(`${fixture}.nope`))).rejects.toThrow(/no exported function "nope" \(it exports handler, notAFunction\)/);
    await expect(load(decl(`${fixture}.notAFunction`))).rejects.toThrow(/no exported function "notAFunction"/);
  });

  it("says which file is missing", async () => {
    const load = createImportLoader({ rootDir });
    await expect(load(decl("packages/functions/src/ws/absent.handler"))).rejects.toThrow(/no file .*ws\/absent\{\.ts.*fix FunctionDecl\.handler/);
  });
});

/**
 * The TypeScript blocks of the README and the guides compile: each block that is a whole module
 * (it has an `import`) is type-checked with the project's compiler options, as a file inside the
 * package (so `import ... from "paxflow"` resolves as it does for users). Blocks without an
 * import are fragments of a larger program and are left out.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { DOCS, ROOT, codeBlocks } from "../shared/doc-blocks.ts";

const DIR = join(ROOT, "test/.snippets");

afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe("TypeScript in the docs", () => {
  it("every whole-module block compiles with the project's options", () => {
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    const files: string[] = [];
    for (const doc of DOCS) {
      codeBlocks(doc, ["ts"]).forEach((block, i) => {
        if (!/^import /m.test(block)) return;
        const file = join(DIR, `${doc.replace(/[/.]/g, "_")}-${i + 1}.ts`);
        writeFileSync(file, `${block}\nexport {};\n`);
        files.push(file);
      });
    }
    expect(files.length).toBeGreaterThanOrEqual(3);
    const config = ts.readConfigFile(join(ROOT, "tsconfig.json"), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
    const program = ts.createProgram(files, { ...options, noEmit: true, noUnusedLocals: false });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && files.includes(resolve(d.file.fileName)))
      .map((d) => {
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${d.file!.fileName.slice(DIR.length + 1)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      });
    expect(problems).toEqual([]);
  });
});

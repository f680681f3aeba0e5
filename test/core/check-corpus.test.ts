import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type Diagnostic, RULES, checkFiles } from "../../core/check/index.ts";

/**
 * Every file under test/check-corpus declares, in its first line, exactly what the checker must
 * report for it: `// expect: purity/clock@7 job/cycle@12:warning` (rule@line for an error,
 * rule@line:warning for a warning) or `// expect: none`. A missed impurity, a false alarm and a
 * wrong severity all fail.
 */
const CORPUS = path.resolve(import.meta.dirname, "../check-corpus");

function corpusFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? corpusFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []))
    .sort();
}

function expected(file: string): string[] {
  const header = fs.readFileSync(file, "utf8").split("\n")[0] ?? "";
  const m = /^\/\/ expect: (.*)$/.exec(header);
  if (!m) throw new Error(`${file}: first line must be "// expect: ..."`);
  const items = m[1]!.trim().split(/\s+/);
  return items.length === 1 && items[0] === "none" ? [] : items.sort();
}

const files = corpusFiles(CORPUS);
const toPosix = (p: string) => p.split(path.sep).join("/");
const result = checkFiles(
  files.map(toPosix),
  { readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined) },
);
const byFile = new Map<string, Diagnostic[]>();
for (const d of result.diagnostics) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);

describe("check corpus", () => {
  it("has at least 120 files (60 impure, 10 certain deadlocks, 50 pure) and expects every rule at least twice", () => {
    expect(files.length).toBeGreaterThanOrEqual(120);
    const expectations = files.map(expected);
    const errors = (rule: RegExp) => expectations.filter((items) => items.some((e) => rule.test(e) && !e.endsWith(":warning"))).length;
    expect(errors(/^purity\//), "impure files").toBeGreaterThanOrEqual(60);
    expect(errors(/^job\/cycle@/), "certain deadlocks").toBeGreaterThanOrEqual(10);
    expect(expectations.filter((items) => items.length === 0).length, "pure files").toBeGreaterThanOrEqual(50);
    const counts = new Map<string, number>();
    for (const items of expectations) for (const e of items) counts.set(e.split("@")[0]!, (counts.get(e.split("@")[0]!) ?? 0) + 1);
    // lock/* rules are about paxflow.lock.json, not a file's code: check-lock.test.ts covers them.
    for (const rule of Object.keys(RULES).filter((r) => !r.startsWith("lock/"))) expect.soft(counts.get(rule) ?? 0, rule).toBeGreaterThanOrEqual(2);
  });

  it("reports nothing outside the corpus", () => {
    expect(result.diagnostics.filter((d) => !d.file.startsWith(toPosix(CORPUS)))).toEqual([]);
  });

  it.each(files.map((f) => [path.relative(CORPUS, f), f]))("%s", (_name, file) => {
    const got = (byFile.get(toPosix(file)) ?? []).map((d) => `${d.rule}@${d.line}${d.severity === "warning" ? ":warning" : ""}`).sort();
    const detail = (byFile.get(toPosix(file)) ?? []).map((d) => `${d.line}:${d.column} ${d.rule} ${d.message}`).join("\n");
    expect(got, detail).toEqual(expected(file));
  });
});

import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KNOWN_CAPS, checkSources } from "../../core/check/index.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const cli = (...args: string[]) => spawnSync(process.execPath, ["cli/paxflow.mjs", "check", ...args], { cwd: ROOT, encoding: "utf8" });

// Each case spawns the CLI (tsx compiles it on start), so allow more than the default 5 s.
describe("paxflow check (CLI)", { timeout: 30_000 }, () => {
  it("prints file:line:col rule message and exits 1 on errors", () => {
    const r = cli("test/check-corpus/clock-two-deep.ts");
    expect(r.status).toBe(1);
    expect(r.stdout.trim()).toBe(
      "test/check-corpus/clock-two-deep.ts:6:10 purity/clock Date.now() reads the clock in helper `stamp` called from stage `labelled` via `label`",
    );
    expect(r.stderr).toContain("1 error, 0 warnings");
  });

  it("--json gives { files, diagnostics } with every field", () => {
    const r = cli("test/check-corpus/cycle3", "--json");
    expect(r.status).toBe(0); // a cycle whose calls change the input is only a warning
    const out = JSON.parse(r.stdout) as { files: string[]; diagnostics: unknown[] };
    expect(out.files).toEqual(["test/check-corpus/cycle3/a.ts", "test/check-corpus/cycle3/b.ts"]);
    expect(out.diagnostics).toEqual([
      { file: "test/check-corpus/cycle3/a.ts", line: 9, column: 19, rule: "job/cycle", severity: "warning", message: "possible deadlock: first -> second -> third -> first (fine if the input shrinks on every round)" },
    ]);
  });

  it("exits 0 on clean code, and --quiet-ok prints nothing", () => {
    const r = cli("test/check-corpus/pure-basic.ts", "test/check-corpus/pure-wordcount.ts", "--quiet-ok");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("");
  });

  it("warnings alone do not fail", () => {
    const r = cli("test/check-corpus/stage-timeout-dynamic.ts");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^test\/check-corpus\/stage-timeout-dynamic\.ts:9:3 stage\/timeout warning: /);
  });

  it("--allow-console and --allow-module widen what pure code may use", () => {
    const strict = cli("test/check-corpus/io-host-globals.ts", "--json");
    const relaxed = cli("test/check-corpus/io-host-globals.ts", "--json", "--allow-console");
    const count = (s: string) => (JSON.parse(s) as { diagnostics: unknown[] }).diagnostics.length;
    expect(count(relaxed.stdout)).toBe(count(strict.stdout) - 1);
    const mod = cli("test/check-corpus/import-node.ts", "--json", "--allow-module", "node:fs", "--allow-module", "left-pad");
    const rules = (JSON.parse(mod.stdout) as { diagnostics: { line: number }[] }).diagnostics.map((d) => d.line);
    expect(rules).toEqual([13, 15, 16]);
  });

  it("exits 2 with a clear error for a path that does not exist", () => {
    const r = cli("test/check-corpus/pure-basic.ts", "no/such/dir");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("error: no such file or directory: no/such/dir");
    expect(r.stdout).toBe("");
  });
});

describe("checkSources (in memory)", () => {
  const stage = (run: string, extra = "") => `import { defineStage } from "paxflow";
${extra}
export const s = defineStage({ name: "s", version: 1, caps: ["cpu"], timeoutMs: 1, cost: { runtimeMs: () => 1, outputBytes: () => 1 }, run: ${run} });
`;

  it("exports the known capability tags", () => {
    expect(KNOWN_CAPS).toEqual(["cpu", "simd", "gpu", "f16", "subgroups"]);
  });

  it("follows helpers across in-memory files and names the chain", () => {
    const r = checkSources({
      "/p/a.ts": stage("(x: number) => twice(x)", 'import { twice } from "./b.ts";'),
      "/p/b.ts": "export const twice = (x: number) => jitter(x) * 2;\nfunction jitter(x: number) { return x + Math.random(); }\n",
    });
    expect(r.files.sort()).toEqual(["/p/a.ts", "/p/b.ts"]);
    expect(r.diagnostics).toMatchObject([
      { file: "/p/b.ts", line: 2, rule: "purity/random", message: "Math.random() is random in helper `jitter` called from stage `s` via `twice`" },
    ]);
  });

  it("does not follow into the SDK and treats its imports as allowed", () => {
    const r = checkSources({
      "/p/src/a.ts": stage("(x: number) => x", 'import { encode } from "../core/index.ts";\nconst e = encode;'),
    });
    expect(r.diagnostics).toEqual([]);
  });

  it("job/cycle is a warning for recursion on other inputs or on some paths, an error when the same input always comes back", () => {
    const src = {
      "/p/j.ts": `import { defineJob, all } from "paxflow";
export const half = defineJob({ name: "half", *run(xs: number[]) { return xs.length < 2 ? xs : yield* all(half(xs.slice(1))); } });
export const same = defineJob({ name: "same", *run(n: number) { return yield* same(n); } });
export const retry = defineJob({ name: "retry", *run(n: number) { if (n > 0) return n; return yield* retry(n); } });
`,
    };
    expect(checkSources(src).diagnostics.map((d) => [d.line, d.rule, d.severity, d.message])).toEqual([
      [2, "job/cycle", "warning", "possible deadlock: half -> half (fine if the input shrinks on every round)"],
      [3, "job/cycle", "error", "deadlock: same -> same with the same input each time waits on itself"],
      [4, "job/cycle", "warning", "possible deadlock: retry -> retry passes the same input, but not on every path"],
    ]);
  });

  it("purity/unreadable is an error", () => {
    const r = checkSources({ "/p/a.ts": stage("wrap((x: number) => x)", "declare const wrap: <T>(f: T) => T;") });
    expect(r.diagnostics.map((d) => [d.rule, d.severity])).toEqual([["purity/unreadable", "error"]]);
  });

  it("--allow-console is an option of the analysis", () => {
    const src = { "/p/a.ts": stage("(x: number) => { console.log(x); return x; }") };
    expect(checkSources(src).diagnostics.map((d) => d.rule)).toEqual(["purity/io"]);
    expect(checkSources(src, { allowConsole: true }).diagnostics).toEqual([]);
  });
});

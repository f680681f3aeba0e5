import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CodeIdentity, checkSources, formatLock, parseLock, updateLock, verifyLock } from "../../core/check/index.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

// The job calls inc by its ref, so a new inc version makes a new job version too (jobVersion).
const stages = (body: string, version = 1, jobVersion = version) => `
import { defineJob, defineStage } from "paxflow";
const cost = { runtimeMs: () => 1, outputBytes: (n: number) => n };
function helper(x: number): number {
  return ${body};
}
export const inc = defineStage({ name: "inc", version: ${version}, caps: ["cpu"], timeoutMs: 1000, cost, run: (x: number) => helper(x) });
export const twice = defineJob({
  name: "twice",${jobVersion === 1 ? "" : ` version: ${jobVersion},`}
  *run(x: number) {
    return yield* inc(yield* inc(x));
  },
});
`;

const code = (text: string): CodeIdentity[] => checkSources({ "/app/stages.ts": text }).code;

describe("lock file", () => {
  const v1 = code(stages("x + 1"));
  const lock = updateLock(undefined, v1).lock;

  it("records stages by name@version and jobs by name@version (version 1 when not written), in a stable text", () => {
    expect(Object.keys(lock.stages)).toEqual(["inc@1"]);
    expect(Object.keys(lock.jobs)).toEqual(["twice@1"]);
    const text = formatLock(lock);
    expect(parseLock(text)).toEqual(lock);
    expect(text.endsWith("}\n")).toBe(true);
    expect(() => parseLock('{"stages": {}}')).toThrow(/expected/);
  });

  it("verifies clean code, and refuses a stage whose code changed under the same version", () => {
    expect(verifyLock(lock, v1)).toEqual([]);
    const changed = code(stages("x + 2"));
    const problems = verifyLock(lock, changed);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ rule: "lock/changed", severity: "error", file: "/app/stages.ts", line: 7 });
    expect(problems[0]!.message).toBe(
      `stage inc@1 changed code without a new version: lock has ${lock.stages["inc@1"]}, code has ${changed[0]!.digest}; bump its version (or run \`paxflow lock --update\` if the old version never ran anywhere)`,
    );
  });

  it("takes a bumped version as new: a warning until `paxflow lock` adds it next to the old one", () => {
    const bumped = code(stages("x + 2", 2));
    expect(verifyLock(lock, bumped).map((d) => [d.rule, d.severity])).toEqual([
      ["lock/missing", "warning"],
      ["lock/missing", "warning"],
    ]);
    const next = updateLock(lock, bumped);
    expect(next.errors).toEqual([]);
    expect(next.added).toEqual([`stage inc@2 ${bumped[0]!.digest}`, `job twice@2 ${bumped[1]!.digest}`]);
    expect(Object.keys(next.lock.stages)).toEqual(["inc@1", "inc@2"]);
    expect(Object.keys(next.lock.jobs)).toEqual(["twice@1", "twice@2"]);
    expect(Object.keys(updateLock(next.lock, bumped, { prune: true }).lock.stages)).toEqual(["inc@2"]);
  });

  it("a job that now calls a new stage version under its old version is refused: its jobs in flight would replay other calls", () => {
    const stageOnly = code(stages("x + 2", 2, 1));
    expect(verifyLock(lock, stageOnly).map((d) => [d.rule, d.severity, d.message.slice(0, 50)])).toEqual([
      ["lock/missing", "warning", "stage inc@2 is not in the lock yet (run `paxflow l"],
      ["lock/changed", "error", "job twice@1 changed code without a new version: lo"],
    ]);
  });

  it("`paxflow lock` refuses a changed stage version unless --update", () => {
    const changed = code(stages("x + 2"));
    const refused = updateLock(lock, changed);
    expect(refused.errors.map((e) => e.rule)).toEqual(["lock/changed"]);
    const updated = updateLock(lock, changed, { update: true });
    expect(updated.errors).toEqual([]);
    expect(updated.lock.stages["inc@1"]).toBe(changed[0]!.digest);
    expect(updated.replaced).toEqual([`stage inc@1 ${lock.stages["inc@1"]} -> ${changed[0]!.digest}`]);
  });

  it("a job's changed code under the same version is an error, like a stage's", () => {
    const job = code(stages("x + 1").replace("yield* inc(yield* inc(x))", "yield* inc(x)"));
    expect(verifyLock(lock, job).map((d) => [d.rule, d.severity])).toEqual([["lock/changed", "error"]]);
    expect(verifyLock(lock, job)[0]?.message).toMatch(/^job twice@1 changed code without a new version/);
    expect(updateLock(lock, job).errors.map((e) => e.rule)).toEqual(["lock/changed"]);
    expect(updateLock(lock, job, { update: true }).replaced).toHaveLength(1);
  });

  it("two definitions of one name@version with different code are an error", () => {
    const both = checkSources({ "/app/a.ts": stages("x + 1"), "/app/b.ts": stages("x + 2") }).code;
    expect(verifyLock(updateLock(undefined, both).lock, both).filter((d) => d.severity === "error")[0]?.message).toMatch(/^stage inc@1 is defined twice with different code/);
  });
});

describe("paxflow lock and paxflow check (CLI)", { timeout: 60_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paxflow-lock-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, "cli/paxflow.mjs"), ...args], { cwd: dir, encoding: "utf8" });

  it("a stage's code changed under the same version between two builds is a build error", () => {
    fs.mkdirSync(path.join(dir, "src"));
    fs.writeFileSync(path.join(dir, "src/stages.ts"), stages("x + 1"));
    const locked = cli("lock", "src");
    expect(locked.status, locked.stderr).toBe(0);
    expect(locked.stderr).toContain("wrote src/paxflow.lock.json (1 stage versions, 1 jobs)");
    expect(cli("check", "src").status).toBe(0);

    fs.writeFileSync(path.join(dir, "src/stages.ts"), stages("x + 2"));
    const check = cli("check", "src");
    expect(check.status).toBe(1);
    expect(check.stdout).toMatch(/^src\/stages\.ts:7:1 lock\/changed stage inc@1 changed code without a new version: lock has [0-9a-f]{16}, code has [0-9a-f]{16}; bump its version/);
    const relock = cli("lock", "src");
    expect(relock.status).toBe(1);
    expect(relock.stderr).toContain("not written");

    fs.writeFileSync(path.join(dir, "src/stages.ts"), stages("x + 2", 2));
    expect(cli("lock", "src").status).toBe(0);
    expect(cli("check", "src").status).toBe(0);
    expect(Object.keys(parseLock(fs.readFileSync(path.join(dir, "src/paxflow.lock.json"), "utf8")).stages)).toEqual(["inc@1", "inc@2"]);
  });

  it("the committed examples lock matches the examples' code", () => {
    const r = spawnSync(process.execPath, ["cli/paxflow.mjs", "check", "examples", "--lock", "examples/paxflow.lock.json", "--json"], { cwd: ROOT, encoding: "utf8" });
    const lockProblems = (JSON.parse(r.stdout) as { diagnostics: { rule: string; message: string }[] }).diagnostics.filter((d) => d.rule.startsWith("lock/"));
    expect(lockProblems).toEqual([]);
    const code = (JSON.parse(r.stdout) as { code: { ref?: string; digest: string; file: string }[] }).code;
    expect(code.find((c) => c.ref === "dag/add@1")).toMatchObject({ file: "examples/dag.ts", digest: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });
});

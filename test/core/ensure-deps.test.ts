/**
 * cli/ensure-deps.mjs (prestart, pretest): installs only when node_modules is missing or older
 * than package-lock.json, once when two terminals start together, and never under a running
 * cluster otherwise. A fake `npm` on PATH records each install and, like the real one, runs the
 * postinstall stamp.
 */
import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../../cli/ensure-deps.mjs", import.meta.url));
const dirs: string[] = [];

function clone(): string {
  const root = mkdtempSync(join(tmpdir(), "paxflow-deps-"));
  dirs.push(root);
  mkdirSync(join(root, "cli"));
  mkdirSync(join(root, "bin"));
  copyFileSync(script, join(root, "cli", "ensure-deps.mjs"));
  writeFileSync(join(root, "package-lock.json"), JSON.stringify({ lockfileVersion: 3, packages: { "node_modules/a": { version: "1.0.0" } } }));
  // What npm ci does, as far as this script can tell: a fresh node_modules, then postinstall.
  const npm = join(root, "bin", "npm");
  writeFileSync(
    npm,
    `#!/bin/sh\necho "$*" >> "${join(root, "npm-calls")}"\nrm -rf node_modules && mkdir node_modules && touch node_modules/.fresh\nexec node cli/ensure-deps.mjs --stamp\n`,
  );
  chmodSync(npm, 0o755);
  return root;
}

const run = (root: string) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(root, "cli", "ensure-deps.mjs")], { cwd: root, env: { ...process.env, PATH: `${join(root, "bin")}:${process.env.PATH}` } }, (error, _stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });

const installs = (root: string) => (existsSync(join(root, "npm-calls")) ? readFileSync(join(root, "npm-calls"), "utf8").trim().split("\n") : []);

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("ensure-deps", () => {
  it("installs a fresh clone once, then leaves node_modules alone", async () => {
    const root = clone();
    expect(await run(root)).toMatchObject({ code: 0, stderr: expect.stringContaining("installing dependencies") });
    expect(installs(root)).toEqual(["ci --no-audit --no-fund"]);
    // A marker inside node_modules: a second install would replace the folder and lose it.
    writeFileSync(join(root, "node_modules", "running-cluster"), "");
    expect((await run(root)).code).toBe(0);
    expect(installs(root)).toHaveLength(1);
    expect(existsSync(join(root, "node_modules", "running-cluster"))).toBe(true);
  });

  it("reinstalls when package-lock.json changed, and says why", async () => {
    const root = clone();
    await run(root);
    writeFileSync(join(root, "package-lock.json"), JSON.stringify({ lockfileVersion: 3, packages: { "node_modules/a": { version: "2.0.0" } } }));
    expect(await run(root)).toMatchObject({ code: 0, stderr: expect.stringContaining("package-lock.json changed") });
    expect(installs(root)).toHaveLength(2);
  });

  it("installs once when two terminals start on a fresh clone together", async () => {
    const root = clone();
    const both = await Promise.all([run(root), run(root)]);
    expect(both.map((r) => r.code)).toEqual([0, 0]);
    expect(installs(root)).toHaveLength(1);
  });

  it("takes over the lock of an install that died", async () => {
    const root = clone();
    mkdirSync(join(root, ".paxflow-install.lock"));
    // A pid no process has: the kernel's pid_max is far below it.
    writeFileSync(join(root, ".paxflow-install.lock", "pid"), "2147483646");
    expect((await run(root)).code).toBe(0);
    expect(installs(root)).toHaveLength(1);
    expect(existsSync(join(root, ".paxflow-install.lock"))).toBe(false);
  });
});

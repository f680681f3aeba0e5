/**
 * paxflow as a dependency, the way a new user gets it: `npm pack` the package, `paxflow init` an
 * app into a temporary folder outside the repository with a dependency on that tarball, install
 * it, and run the app's own `npm test`, its local cluster (`paxflow dev`, from the app's
 * node_modules/.bin) with its own job, and `paxflow deploy --dry-run`. Nothing here reaches into
 * the repository's sources: the app sees only the built package (dist/, its declarations, the CLI).
 *
 * Offline: the app's package-lock.json is made from this repository's (test/shared/offline-
 * lockfile.ts), so `npm ci --offline` installs it from npm's cache alone, which this
 * repository's own `npm ci` filled.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, freePort } from "../../cli/local-cluster.ts";
import { type LocalTarball, offlineLockfile } from "../shared/offline-lockfile.ts";

interface Ran {
  readonly code: number;
  readonly output: string;
}

/** Runs a command to its end; its output (stdout and stderr) comes back whatever the exit code. */
function run(command: string, args: readonly string[], cwd: string): Promise<Ran> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("close", (code) => done({ code: code ?? 1, output }));
  });
}

const npm = (args: readonly string[], cwd: string) => run("npm", args, cwd);

/** A packed tarball in `dir` whose file name starts with `prefix`, with its package.json. */
function tarball(dir: string, prefix: string, manifestOf: string): LocalTarball {
  const file = readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith(".tgz"));
  if (!file) throw new Error(`no ${prefix}*.tgz in ${dir}`);
  return { path: join(dir, file), manifest: JSON.parse(readFileSync(manifestOf, "utf8")) as LocalTarball["manifest"] };
}

/** Installs `dir`'s package.json with no network: a lockfile from this repository's, then npm ci --offline. */
async function installOffline(dir: string, tarballs: Record<string, LocalTarball>): Promise<Ran> {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as LocalTarball["manifest"];
  writeFileSync(join(dir, "package-lock.json"), offlineLockfile(join(ROOT, "package-lock.json"), manifest, tarballs));
  return npm(["ci", "--offline", "--no-audit", "--no-fund"], dir);
}

describe("paxflow as a dependency (npm pack, paxflow init, the app's own commands)", () => {
  let work = "";
  let app = "";
  let dev: ChildProcess | null = null;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "paxflow-package-"));
    const packed = await npm(["pack", "--pack-destination", work], ROOT);
    expect(packed.code, packed.output).toBe(0);
    const paxflow = tarball(work, "paxflow-", join(ROOT, "package.json"));
    const init = await run(process.execPath, [join(ROOT, "cli/paxflow.mjs"), "init", join(work, "word-app"), "--paxflow", `file:${paxflow.path}`], work);
    expect(init.code, init.output).toBe(0);
    app = join(work, "word-app");
    const installed = await installOffline(app, { paxflow });
    expect(installed.code, installed.output).toBe(0);
  });

  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      const exited = new Promise((resolve) => dev!.once("exit", resolve));
      dev.kill("SIGINT");
      await exited;
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("ships compiled JavaScript with declarations, the CLI, the templates and the dashboard, and no TypeScript sources", () => {
    const root = join(app, "node_modules", "paxflow");
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { private?: boolean; exports: Record<string, { types: string; default: string }> };
    expect(manifest.private).toBeUndefined();
    for (const entry of [".", "./client", "./worker", "./runner", "./testing"]) {
      expect(readFileSync(join(root, manifest.exports[entry]!.default), "utf8").length).toBeGreaterThan(0);
      expect(readFileSync(join(root, manifest.exports[entry]!.types), "utf8").length).toBeGreaterThan(0);
    }
    expect(readdirSync(root)).not.toContain("core");
    expect(readdirSync(join(root, "dashboard", "public", "vendor"))).toContain("uPlot.esm.js");
  });

  it("runs the app's own tests (npm test) and type-checks it against the package's declarations", async () => {
    const tested = await npm(["test"], app);
    expect(tested.code, tested.output).toBe(0);
    expect(tested.output).toMatch(/Tests\s+3 passed/);
    const typed = await run(process.execPath, [join(app, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", "."], app);
    expect(typed.code, typed.output).toBe(0);
  });

  it("runs the app's job on its local cluster (paxflow dev from node_modules/.bin), with its own token", async () => {
    const port = await freePort();
    dev = spawn(join(app, "node_modules/.bin/paxflow"), ["dev", "--registry", "src/stages.ts", "--port", String(port), "--persist-to", join(work, "state"), "--no-gpu", "--runners", "1"], {
      cwd: app,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    let output = "";
    await new Promise<void>((ready, failed) => {
      const look = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("paxflow dev: ready:")) ready();
      };
      dev!.stdout!.on("data", look);
      dev!.stderr!.on("data", look);
      dev!.once("exit", (code) => failed(new Error(`paxflow dev exited ${code} before it was ready:\n${output}`)));
    });
    expect(output).toContain("demo: skipped");
    const token = /^API_TOKENS=local=(.+)=admin$/m.exec(readFileSync(join(app, ".dev.vars"), "utf8"))![1]!;
    const answer = await fetch(`http://127.0.0.1:${port}/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", prefer: "wait=60" },
      body: JSON.stringify({ job: "word-app/word-total", input: { text: "one two three\nfour five\nsix" } }),
    });
    const job = (await answer.json()) as { status: string; output: unknown; calls: unknown[] };
    expect(answer.status, JSON.stringify(job)).toBe(200);
    expect(job).toMatchObject({ status: "done", output: 6 });
    expect(job.calls).toHaveLength(3);

    // One more runner, as a user adds one: `paxflow runner` with the app's registry, signing with
    // the secret `paxflow runner-secret` derives from the app's RUNNER_KEY.
    const runnerKey = /^RUNNER_KEY=(.+)$/m.exec(readFileSync(join(app, ".dev.vars"), "utf8"))![1]!;
    const secret = await new Promise<string>((done) => {
      const child = spawn(join(app, "node_modules/.bin/paxflow"), ["runner-secret", "extra-1"], { cwd: app, env: { ...process.env, RUNNER_KEY: runnerKey } });
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.on("close", () => done(out.trim()));
    });
    const extra = spawn(join(app, "node_modules/.bin/paxflow"), ["runner", "--registry", "src/stages.ts", "--api", `http://127.0.0.1:${port}`, "--id", "extra-1"], {
      cwd: app,
      env: { ...process.env, PAXFLOW_RUNNER_SECRET: secret },
    });
    try {
      let said = "";
      await new Promise<void>((ready, failed) => {
        const look = (chunk: Buffer) => {
          said += chunk.toString();
          if (said.includes("extra-1 listening on")) ready();
        };
        extra.stdout.on("data", look);
        extra.stderr.on("data", look);
        extra.once("exit", (code) => failed(new Error(`paxflow runner exited ${code}:\n${said}`)));
      });
      const nodes = (await (await fetch(`http://127.0.0.1:${port}/v1/nodes`, { headers: { authorization: `Bearer ${token}` } })).json()) as { nodes: { spec: { id: string }; status: string }[] };
      expect(nodes.nodes).toContainEqual(expect.objectContaining({ spec: expect.objectContaining({ id: "extra-1" }), status: "up" }));
    } finally {
      const exited = new Promise((resolve) => extra.once("exit", resolve));
      extra.kill("SIGTERM");
      await exited;
    }
  });

  it("npm create paxflow: create-paxflow writes the same app through the paxflow it depends on", async () => {
    const creator = join(work, "creator");
    const packed = await npm(["pack", "--pack-destination", work], join(ROOT, "packages", "create-paxflow"));
    expect(packed.code, packed.output).toBe(0);
    const paxflow = tarball(work, "paxflow-", join(ROOT, "package.json"));
    const create = tarball(work, "create-paxflow-", join(ROOT, "packages", "create-paxflow", "package.json"));
    mkdirSync(creator);
    // With paxflow's pins (overrides), as `paxflow init` gives an app.
    const { overrides } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { overrides: Record<string, string> };
    writeFileSync(
      join(creator, "package.json"),
      JSON.stringify({ name: "creator", version: "0.0.0", private: true, dependencies: { paxflow: `file:${paxflow.path}`, "create-paxflow": `file:${create.path}` }, overrides }),
    );
    const installed = await installOffline(creator, { paxflow, "create-paxflow": create });
    expect(installed.code, installed.output).toBe(0);
    const created = await run(join(creator, "node_modules/.bin/create-paxflow"), ["second-app"], work);
    expect(created.code, created.output).toBe(0);
    expect(created.output).toContain("paxflow init: wrote second-app");
    expect(readFileSync(join(work, "second-app", "src", "stages.ts"), "utf8")).toContain('name: "second-app/word-total"');
    expect(JSON.parse(readFileSync(join(work, "second-app", "package.json"), "utf8"))).toMatchObject({ name: "second-app", scripts: { start: expect.stringContaining("paxflow dev") } });
  });

  it("builds what wrangler deploy would upload (paxflow deploy --dry-run), after checking src/", async () => {
    const built = await run(join(app, "node_modules/.bin/paxflow"), ["deploy", "--dry-run"], app);
    expect(built.code, built.output).toBe(0);
    expect(built.output).toMatch(/fits the Workers Free limit/);
  });
});

/**
 * paxflow as a dependency, the way a new user gets it: `npm pack` the package, `paxflow init` an
 * app into a temporary folder outside the repository with a dependency on that tarball, install
 * it, and run the app's own `npm test`, its local cluster (`paxflow dev`, from the app's
 * node_modules/.bin) with its own job, and `paxflow deploy --dry-run`. Nothing here reaches into
 * the repository's sources: the app sees only the built package (dist/, its declarations, the CLI).
 *
 * The install is `npm install --prefer-offline`: package tarballs come from npm's cache (filled
 * by this repository's own `npm ci`), package metadata from the registry when the cache lacks it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, freePort } from "../../cli/local-cluster.ts";

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

describe("paxflow as a dependency (npm pack, paxflow init, the app's own commands)", () => {
  let work = "";
  let app = "";
  let dev: ChildProcess | null = null;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "paxflow-package-"));
    const packed = await npm(["pack", "--pack-destination", work], ROOT);
    expect(packed.code, packed.output).toBe(0);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    expect(tarball, packed.output).toBeDefined();
    const init = await run(process.execPath, [join(ROOT, "cli/paxflow.mjs"), "init", join(work, "word-app"), "--paxflow", `file:${join(work, tarball!)}`], work);
    expect(init.code, init.output).toBe(0);
    app = join(work, "word-app");
    const installed = await npm(["install", "--prefer-offline", "--no-audit", "--no-fund"], app);
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
    const tarballs = readdirSync(work).filter((f) => f.endsWith(".tgz"));
    const create = tarballs.find((f) => f.startsWith("create-paxflow-"))!;
    const paxflow = tarballs.find((f) => f.startsWith("paxflow-"))!;
    const installed = await npm(["install", "--prefix", creator, "--prefer-offline", "--no-audit", "--no-fund", join(work, paxflow), join(work, create)], work);
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

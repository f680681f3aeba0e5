/** `paxflow deploy --dry-run`: the checker, then what wrangler would upload, measured against the Workers limits. */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYMENT_FILE, appRegistry, recordDeployment } from "../../cli/app-settings.ts";
import { type BundleReport, SIZE_LIMITS, measureBundle } from "../../cli/commands/deploy.ts";
import { scaffold } from "../../cli/scaffold.ts";

const ROOT = resolve(import.meta.dirname, "../..");

describe("paxflow deploy --dry-run", () => {
  it("builds the Worker wrangler would upload and reports its compressed size within the limits", async () => {
    const ran = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
      execFile(process.execPath, ["cli/paxflow.mjs", "deploy", "--dry-run", "--json"], { cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) => done({ code: error ? 1 : 0, stdout, stderr })),
    );
    expect(ran.code, ran.stderr).toBe(0);
    const report = JSON.parse(ran.stdout) as BundleReport;
    // Named after wrangler.toml's main (examples/worker.ts).
    const main = report.files.find((f) => f.file === "worker.js");
    expect(main, JSON.stringify(report.files)).toBeDefined();
    expect(main!.bytes).toBeGreaterThan(main!.gzipBytes);
    expect(report.fits.free).toBe(report.totalGzipBytes <= SIZE_LIMITS.free);
    expect(report.fits.paid).toBe(true);
  });

  it("measures gzip sizes, leaves out source maps, and judges the limits", () => {
    const dir = mkdtempSync(join(tmpdir(), "paxflow-bundle-"));
    writeFileSync(join(dir, "index.js"), "x".repeat(100_000));
    writeFileSync(join(dir, "index.js.map"), "{}");
    const report = measureBundle(dir);
    expect(report.files.map((f) => f.file)).toEqual(["index.js"]);
    expect(report.totalBytes).toBe(100_000);
    expect(report.totalGzipBytes).toBeLessThan(1_000);
    expect(report.fits).toEqual({ free: true, paid: true });
  });
});

/**
 * A real `paxflow deploy` in a new app (`paxflow init`'s files), with a stand-in for wrangler
 * (it logs how it was called and reports the URLs it "deployed" to as wrangler does, in
 * WRANGLER_OUTPUT_FILE_PATH) and a stub of the running deployment's API: the version guard runs
 * without flags, and the deploy records where it went for the next one.
 */
describe("paxflow deploy's version guard", () => {
  let template: string;
  let api: { url: string; requests: string[]; close: () => Promise<void> };
  /** What the stub API answers: the running jobs (id to ref), or an HTTP error status. */
  let answer: { running: Record<string, string> } | { status: number };
  const scratch: string[] = [];
  const tempDir = () => {
    scratch.push(mkdtempSync(join(tmpdir(), "paxflow-guard-")));
    return scratch.at(-1)!;
  };

  beforeAll(async () => {
    template = join(tempDir(), "app");
    scaffold(template);
    const stub = join(template, "node_modules", "wrangler");
    mkdirSync(join(stub, "bin"), { recursive: true });
    writeFileSync(join(stub, "package.json"), JSON.stringify({ name: "wrangler", version: "0.0.0-stub" }));
    writeFileSync(
      join(stub, "bin", "wrangler.js"),
      [
        'const { appendFileSync } = require("node:fs");',
        'appendFileSync("wrangler-calls.log", JSON.stringify(process.argv.slice(2)) + "\\n");',
        'const targets = JSON.parse(process.env.STUB_TARGETS || "[]");',
        'appendFileSync(process.env.WRANGLER_OUTPUT_FILE_PATH, JSON.stringify({ type: "deploy", version: 1, targets }) + "\\n");',
        'for (const target of targets) console.log("  " + target);',
      ].join("\n"),
    );
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? "-"}`);
      const send = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      if ("status" in answer) return send(answer.status, { error: { code: "stub", message: "refused by the stub" } });
      const url = new URL(req.url!, "http://stub");
      if (url.pathname === "/v1/jobs") return send(200, { jobs: Object.keys(answer.running).map((id) => ({ id })) });
      const id = decodeURIComponent(url.pathname.slice("/v1/jobs/".length));
      const [jobName, jobVersion] = answer.running[id]!.split("@");
      return send(200, { id, name: jobName, version: Number(jobVersion), status: req.method === "DELETE" ? "cancelled" : "running", calls: [] });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    api = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise((done) => server.close(() => done())) };
  });
  afterAll(async () => {
    await api.close();
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh copy of the app, with `deployment` recorded as its last deploy when given. */
  function app(deployment?: string): string {
    const dir = join(tempDir(), "app");
    cpSync(template, dir, { recursive: true });
    if (deployment !== undefined) recordDeployment(dir, deployment);
    api.requests.length = 0;
    answer = { running: {} };
    return dir;
  }

  function deploy(dir: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string; wrangler: string[][] }> {
    const { PAXFLOW_API: _api, PAXFLOW_TOKEN: _token, ...inherited } = process.env;
    return new Promise((done) =>
      execFile(process.execPath, [join(ROOT, "cli/paxflow.mjs"), "deploy", ...args], { cwd: dir, env: { ...inherited, ...env }, timeout: 60_000 }, (error, _stdout, stderr) => {
        const log = join(dir, "wrangler-calls.log");
        const wrangler = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as string[]) : [];
        done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stderr, wrangler });
      }),
    );
  }
  const recorded = (dir: string) => (JSON.parse(readFileSync(join(dir, DEPLOYMENT_FILE), "utf8")) as { url: string }).url;

  it("skips the guard on the first deploy, records the URL wrangler deployed to, and asks it on the next deploy", async () => {
    const dir = app();
    const first = await deploy(dir, [], { STUB_TARGETS: JSON.stringify([api.url, "schedule: */5 * * * *"]) });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("version guard skipped: no running deployment is known");
    expect(first.wrangler).toEqual([["deploy"]]);
    expect(recorded(dir)).toBe(api.url);
    expect(first.stderr).toContain(`recorded ${api.url} in ${DEPLOYMENT_FILE}`);
    expect(api.requests).toEqual([]);

    // The app's own versions are running: nothing is dropped.
    answer = { running: { "j-1": "app/word-total@1" } };
    const next = await deploy(dir, [], { PAXFLOW_TOKEN: "t".repeat(24), STUB_TARGETS: JSON.stringify([api.url]) });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).not.toContain("skipped");
    expect(api.requests).toContain(`GET /v1/jobs?status=running&limit=100 Bearer ${"t".repeat(24)}`);
    expect(next.wrangler).toEqual([["deploy"], ["deploy"]]);
  });

  it("refuses, without any flag, a deploy that drops a version running jobs use, listing them; --cancel-dropped cancels them", async () => {
    const dir = app(api.url);
    answer = { running: { "j-old": "app/word-total@2", "j-new": "app/word-total@1" } };
    const refused = await deploy(dir, []);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("error: this deploy drops job versions that running jobs still use");
    expect(refused.stderr).toContain("  app/word-total@2: j-old\n");
    expect(refused.wrangler).toEqual([]);

    const cancelled = await deploy(dir, ["--cancel-dropped"]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(api.requests.filter((r) => r.startsWith("DELETE"))).toEqual(["DELETE /v1/jobs/j-old -"]);
    expect(cancelled.wrangler).toEqual([["deploy"]]);
  });

  it("refuses when the known deployment cannot be asked, naming its URL and the ways out; --no-guard deploys with a warning", async () => {
    const down = `http://127.0.0.1:9`;
    const dir = app(down);
    const unreachable = await deploy(dir, []);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(new RegExp(`^error: cannot ask the running deployment at ${down} \\(from ${DEPLOYMENT_FILE}\\) .*PAXFLOW_TOKEN.*--api <url>.*--no-guard`, "m"));
    expect(unreachable.stderr).not.toMatch(/^\s+at /m);
    expect(unreachable.wrangler).toEqual([]);

    answer = { status: 401 };
    const unauthorized = await deploy(dir, [], { PAXFLOW_API: api.url });
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toContain(`error: cannot ask the running deployment at ${api.url} (from PAXFLOW_API) which job versions its jobs use: refused by the stub (HTTP 401 stub)`);
    expect(unauthorized.wrangler).toEqual([]);

    const unguarded = await deploy(dir, ["--no-guard"], { STUB_TARGETS: JSON.stringify([down]) });
    expect(unguarded.code, unguarded.stderr).toBe(0);
    expect(unguarded.stderr).toContain("warning: --no-guard: not checking which job versions");
    expect(unguarded.wrangler).toEqual([["deploy"]]);
  });

  it("finds the registry in package.json, else at src/stages.ts, and says how to name one when neither is there", async () => {
    const dir = app(api.url);
    const manifest = join(dir, "package.json");
    const settings = JSON.parse(readFileSync(manifest, "utf8")) as { paxflow?: { registry: string } };
    expect(settings.paxflow).toEqual({ registry: "src/stages.ts" });
    writeFileSync(manifest, JSON.stringify({ ...settings, paxflow: { registry: "src/elsewhere.ts" } }));
    const named = await deploy(dir, []);
    expect(named.code).toBe(2);
    expect(named.stderr).toContain("error: registry module not found: src/elsewhere.ts");
    expect(named.wrangler).toEqual([]);

    expect(appRegistry(dir, "src/flag.ts")).toBe("src/flag.ts");
    writeFileSync(manifest, JSON.stringify({ ...settings, paxflow: undefined }));
    expect(appRegistry(dir, undefined)).toBe("src/stages.ts");
    rmSync(join(dir, "src", "stages.ts"));
    expect(() => appRegistry(dir, undefined)).toThrow(/pass --registry <module>, or name it in package.json as "paxflow": \{ "registry": "src\/stages.ts" \}/);
  });

  it("says so, and records nothing, when wrangler deployed to no URL (custom domains only)", async () => {
    const dir = app();
    // wrangler's entries still reach the output file a user (or CI) asked for.
    const asked = join(dir, "wrangler-output.json");
    const ran = await deploy(dir, [], { STUB_TARGETS: JSON.stringify(["api.example.com (custom domain)"]), WRANGLER_OUTPUT_FILE_PATH: asked });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toContain("wrangler deployed to no workers.dev URL (custom domains or routes only), so none is recorded: give the next deploy the API's URL with --api <url> or PAXFLOW_API");
    expect(existsSync(join(dir, DEPLOYMENT_FILE))).toBe(false);
    expect(JSON.parse(readFileSync(asked, "utf8"))).toMatchObject({ type: "deploy", targets: ["api.example.com (custom domain)"] });
  });
});

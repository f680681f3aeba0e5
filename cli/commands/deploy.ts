/**
 * `paxflow deploy`: the checker over the deployed stages and jobs first (a purity error stops
 * the deploy), then `wrangler deploy`. With --dry-run, wrangler builds exactly what it would
 * upload (`wrangler deploy --dry-run --outdir`) and this reports its size against the Workers
 * script size limits; no account needed. A real deploy first asks the running deployment which
 * job versions its running jobs use, and refuses a registry that drops one (they would fail with
 * VersionGone: docs/versions.md) unless --cancel-dropped; it finds both without flags
 * (cli/app-settings.ts) and records the URL wrangler deployed to for the next deploy.
 */
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { Command, Option } from "commander";
import { PaxflowApiError, PaxflowClient, PaxflowUnreachable } from "../../client/index.ts";
import { type Registry, type RunningJob, droppedVersions } from "../../core/sdk/registry.ts";
import { UsageError, loadRegistry } from "../../runners/cli-common.ts";
import { API_ENV, DEFAULT_REGISTRY, DEPLOYMENT_FILE, appRegistry, deployedUrls, knownDeployment, recordDeployment } from "../app-settings.ts";
import { isPaxflowRepository, wranglerBin } from "../package-root.ts";
import { httpUrl } from "../options.ts";
import { table } from "../table.ts";
import { runCheck } from "./check.ts";

/** What paxflow's own Worker bundles: the examples' stages and jobs (examples/worker.ts gives examples/index.ts to definePaxflow) and the SDK they use. */
export const DEPLOYED_SOURCES = ["examples", "kernels", "core/sdk"];

/** An app's stages and jobs, where `paxflow init` puts them. */
export const APP_SOURCES = ["src"];

/** What `deploy` checks when not told: paxflow's own sources in its repository, an app's src/ anywhere else. */
function defaultSources(dir: string): string[] {
  return (isPaxflowRepository(dir) ? DEPLOYED_SOURCES : APP_SOURCES).map((p) => resolve(dir, p));
}

/** Workers script size limits, after compression (developers.cloudflare.com/workers/platform/limits). */
export const SIZE_LIMITS = { free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 };

interface DeployFlags {
  dryRun?: boolean;
  outdir?: string;
  json?: boolean;
  api?: string;
  registry?: string;
  cancelDropped?: boolean;
  guard: boolean;
}

/** Every running job and running sub-job the API shows this token, with the ref of the code it runs on. */
export async function runningJobs(client: PaxflowClient): Promise<RunningJob[]> {
  const out: RunningJob[] = [];
  const visit = async (id: string): Promise<void> => {
    const job = await client.job(id);
    if (job.status !== "running") return;
    out.push({ id, ref: `${job.name}@${job.version}` });
    for (const call of job.calls) if (call.kind === "job" && call.child !== undefined && call.status !== "done" && call.status !== "failed") await visit(call.child);
  };
  for (let cursor: string | undefined; ; ) {
    const page = await client.jobs({ status: "running", limit: 100, ...(cursor === undefined ? {} : { cursor }) });
    for (const job of page.jobs) await visit(job.id);
    if (page.next === undefined) return out;
    cursor = page.next;
  }
}

/**
 * Whether `registry` may replace the running deployment: the job versions its running jobs use
 * must all be bundled. With `cancel`, the jobs of dropped versions are cancelled instead.
 */
export async function guardVersions(registry: Registry, client: PaxflowClient, cancel: boolean): Promise<{ ok: boolean; lines: string[] }> {
  const dropped = droppedVersions(registry, await runningJobs(client));
  if (dropped.length === 0) return { ok: true, lines: [] };
  const listed = dropped.map((d) => `  ${d.ref}: ${d.jobs.join(", ")}`);
  if (!cancel) {
    return {
      ok: false,
      lines: [
        "error: this deploy drops job versions that running jobs still use (they would fail with VersionGone):",
        ...listed,
        "keep those versions exported until their jobs end (docs/versions.md), or pass --cancel-dropped to cancel the jobs",
      ],
    };
  }
  // A sub-job ends with its tree: cancelling one that is gone by now changes nothing.
  for (const { jobs } of dropped) for (const id of jobs) await client.cancel(id);
  return { ok: true, lines: ["cancelled the running jobs of dropped versions:", ...listed] };
}

export interface BundleReport {
  readonly outdir: string;
  readonly files: readonly { readonly file: string; readonly bytes: number; readonly gzipBytes: number }[];
  readonly totalBytes: number;
  readonly totalGzipBytes: number;
  readonly fits: { readonly free: boolean; readonly paid: boolean };
}

function wrangler(args: readonly string[], quiet: boolean, env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    // In the app's folder: wrangler finds its configuration there.
    const child = spawn(process.execPath, [wranglerBin(), ...args], { cwd: process.cwd(), env: { ...process.env, ...env }, stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit" });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("close", (code) => done({ code: code ?? 1, output }));
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

export function measureBundle(outdir: string): BundleReport {
  const files = filesUnder(outdir)
    .filter((f) => !f.endsWith(".map"))
    .map((f) => ({ file: relative(outdir, f), bytes: statSync(f).size, gzipBytes: gzipSync(readFileSync(f)).length }));
  const totalBytes = files.reduce((s, f) => s + f.bytes, 0);
  const totalGzipBytes = files.reduce((s, f) => s + f.gzipBytes, 0);
  return { outdir, files, totalBytes, totalGzipBytes, fits: { free: totalGzipBytes <= SIZE_LIMITS.free, paid: totalGzipBytes <= SIZE_LIMITS.paid } };
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/**
 * The version guard before a real deploy: whether the deploy may go ahead. Before the first
 * deploy no running deployment is known and there is nothing to ask; one that is known but
 * cannot be asked refuses the deploy, since going ahead could drop versions unseen.
 */
async function guardDeploy(dir: string, flags: DeployFlags): Promise<boolean> {
  if (!flags.guard) {
    console.error("warning: --no-guard: not checking which job versions the running deployment's jobs use; the jobs of a dropped one fail with VersionGone (docs/versions.md)");
    return true;
  }
  // Found first, so that an app without one learns it on its first deploy rather than its second.
  const registry = appRegistry(dir, flags.registry);
  const deployment = knownDeployment(dir, flags.api);
  if (deployment === undefined) {
    console.error(`paxflow: version guard skipped: no running deployment is known (--api, ${API_ENV}, ${DEPLOYMENT_FILE}); this deploy records one`);
    return true;
  }
  const token = process.env.PAXFLOW_TOKEN?.trim();
  const client = new PaxflowClient({ url: deployment.url, ...(token ? { token } : {}) });
  let guarded: Awaited<ReturnType<typeof guardVersions>>;
  try {
    guarded = await guardVersions(await loadRegistry(registry), client, flags.cancelDropped === true);
  } catch (error) {
    if (!(error instanceof PaxflowApiError || error instanceof PaxflowUnreachable)) throw error;
    const cause = error instanceof PaxflowApiError ? `${error.message} (HTTP ${error.status} ${error.code})` : error.message;
    console.error(
      `error: cannot ask the running deployment at ${deployment.url} (from ${deployment.from}) which job versions its jobs use: ${cause}; ` +
        `set PAXFLOW_TOKEN to a token of that deployment, pass --api <url> if it runs elsewhere, or --no-guard to deploy without the check`,
    );
    return false;
  }
  for (const line of guarded.lines) console.error(line);
  return guarded.ok;
}

/** `wrangler deploy`, then the URL it deployed to recorded for the next deploy's guard; wrangler's exit status. */
async function deployAndRecord(dir: string): Promise<number> {
  // wrangler appends a JSON entry per command to this file, the deploy's with the URLs it reached.
  // Not its printed lines: capturing them would make wrangler non-interactive (no login prompt).
  const scratch = mkdtempSync(join(tmpdir(), "paxflow-wrangler-"));
  const outputFile = join(scratch, "output.json");
  try {
    const { code } = await wrangler(["deploy"], false, { WRANGLER_OUTPUT_FILE_PATH: outputFile });
    // The entries still reach a file the user asked wrangler for.
    const asked = process.env.WRANGLER_OUTPUT_FILE_PATH;
    if (asked && existsSync(outputFile)) appendFileSync(asked, readFileSync(outputFile));
    if (code !== 0) return code;
    const [url] = deployedUrls(outputFile);
    if (url === undefined) {
      console.error(`paxflow: wrangler deployed to no workers.dev URL (custom domains or routes only), so none is recorded: give the next deploy the API's URL with --api <url> or ${API_ENV}`);
    } else if (recordDeployment(dir, url)) {
      console.error(`paxflow: recorded ${url} in ${DEPLOYMENT_FILE}; commit it, so that the next deploy (yours, a teammate's, CI's) checks the jobs running there`);
    }
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export const deployCommand = new Command("deploy")
  .description("check the deployed stages and jobs and the job versions running jobs use, then `wrangler deploy`; --dry-run builds the upload and reports its size instead")
  .argument("[paths...]", "the stages and jobs to check first (default: src/; in paxflow's repository: examples kernels core/sdk)")
  .option("--dry-run", "build what wrangler would upload (no account needed) and report its size against the Workers limits")
  .option("--outdir <dir>", "with --dry-run: where to keep the build (default: a temporary directory, removed afterwards)")
  .option("--json", "with --dry-run: print the size report as JSON")
  .addOption(
    new Option("--api <url>", `the running deployment's API, asked which job versions its running jobs use (default: ${API_ENV}, else the URL in ${DEPLOYMENT_FILE}; token: PAXFLOW_TOKEN)`)
      .argParser(httpUrl)
      .conflicts(["dryRun", "guard"]),
  )
  .option("--registry <module>", `the module that exports the registry being deployed (default: package.json's "paxflow": { "registry" }, else ${DEFAULT_REGISTRY})`)
  .addOption(new Option("--cancel-dropped", "cancel the running jobs of dropped job versions instead of refusing the deploy").conflicts(["dryRun", "guard"]))
  .addOption(new Option("--no-guard", "deploy without asking the running deployment which job versions its jobs use (a warning says so)").conflicts("dryRun"))
  .addHelpText(
    "after",
    [
      "",
      "Secrets (API_TOKENS, RUNNER_KEY) are set with `wrangler secret put`, never in wrangler.toml (SECURITY.md).",
      `The URL wrangler deploys to is recorded in ${DEPLOYMENT_FILE} (commit it): the next deploy checks the jobs running there.`,
      "Exit status: 0 deployed (or built); 1 the checker found errors, the running deployment's jobs use a version this deploy drops,",
      "the running deployment cannot be asked, wrangler failed or the bundle is over the paid limit; 2 a bad flag or no registry found.",
      "",
      "Examples:",
      "  npx paxflow deploy --dry-run",
      "  PAXFLOW_TOKEN=... npx paxflow deploy",
      "  PAXFLOW_TOKEN=... npx paxflow deploy --api https://my-app.example.workers.dev --registry src/stages.ts",
    ].join("\n"),
  )
  .action(async (paths: string[], flags: DeployFlags) => {
    const dir = process.cwd();
    const sources = paths.length > 0 ? paths.map((p) => resolve(p)) : defaultSources(dir);
    // The checker's findings go to stderr: stdout carries the size report (--json).
    const checked = runCheck(sources, { allowModule: [], quietOk: true }, (line) => console.error(line));
    if (checked === "missing" || checked.errors > 0) {
      console.error(`error: the checker found errors in the deployed stages and jobs; fix them before deploying (npx paxflow check ${sources.map((p) => relative(dir, p) || ".").join(" ")})`);
      process.exitCode = 1;
      return;
    }
    if (!flags.dryRun) {
      try {
        if (!(await guardDeploy(dir, flags))) {
          process.exitCode = 1;
          return;
        }
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        console.error(`error: ${error.message}`);
        process.exitCode = 2;
        return;
      }
      process.exitCode = await deployAndRecord(dir);
      return;
    }
    const outdir = flags.outdir ? resolve(flags.outdir) : mkdtempSync(join(tmpdir(), "paxflow-deploy-"));
    try {
      const built = await wrangler(["deploy", "--dry-run", "--outdir", outdir], true);
      if (built.code !== 0) {
        console.error(`error: wrangler deploy --dry-run failed:\n${built.output.trim()}`);
        process.exitCode = 1;
        return;
      }
      const report = measureBundle(outdir);
      if (flags.json) console.log(JSON.stringify(report, null, 2));
      else {
        console.log(table(["file", "bytes", "gzip"], [...report.files.map((f) => [f.file, kib(f.bytes), kib(f.gzipBytes)]), ["total", kib(report.totalBytes), kib(report.totalGzipBytes)]]));
        console.log(
          `\n${kib(report.totalGzipBytes)} compressed: ${report.fits.free ? "fits" : "does NOT fit"} the Workers Free limit (${kib(SIZE_LIMITS.free)}), ${report.fits.paid ? "fits" : "does NOT fit"} the Paid limit (${kib(SIZE_LIMITS.paid)}).` +
            `\nwrangler.toml and the bindings built without errors; deploy with: npx paxflow deploy`,
        );
      }
      if (!report.fits.paid) process.exitCode = 1;
    } finally {
      if (!flags.outdir) rmSync(outdir, { recursive: true, force: true });
    }
  });

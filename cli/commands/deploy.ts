/**
 * `paxflow deploy`: the checker over the deployed stages and jobs first (a purity error stops
 * the deploy), then `wrangler deploy`. With --dry-run, wrangler builds exactly what it would
 * upload (`wrangler deploy --dry-run --outdir`) and this reports its size against the Workers
 * script size limits; no account needed.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { Command } from "commander";
import { isPaxflowRepository } from "../package-root.ts";
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

/** The app's wrangler (a devDependency of the app paxflow init writes), found when a command needs it. */
function wranglerBin(): string {
  try {
    return createRequire(join(process.cwd(), "package.json")).resolve("wrangler/bin/wrangler.js");
  } catch {
    return createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
  }
}

/** Workers script size limits, after compression (developers.cloudflare.com/workers/platform/limits). */
export const SIZE_LIMITS = { free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 };

interface DeployFlags {
  dryRun?: boolean;
  outdir?: string;
  json?: boolean;
}

export interface BundleReport {
  readonly outdir: string;
  readonly files: readonly { readonly file: string; readonly bytes: number; readonly gzipBytes: number }[];
  readonly totalBytes: number;
  readonly totalGzipBytes: number;
  readonly fits: { readonly free: boolean; readonly paid: boolean };
}

function wrangler(args: readonly string[], quiet: boolean): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    // In the app's folder: wrangler finds its configuration there.
    const child = spawn(process.execPath, [wranglerBin(), ...args], { cwd: process.cwd(), stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit" });
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

export const deployCommand = new Command("deploy")
  .description("check the deployed stages and jobs, then `wrangler deploy`; --dry-run builds the upload and reports its size instead")
  .argument("[paths...]", "the stages and jobs to check first (default: src/; in paxflow's repository: examples kernels core/sdk)")
  .option("--dry-run", "build what wrangler would upload (no account needed) and report its size against the Workers limits")
  .option("--outdir <dir>", "with --dry-run: where to keep the build (default: a temporary directory, removed afterwards)")
  .option("--json", "with --dry-run: print the size report as JSON")
  .addHelpText(
    "after",
    [
      "",
      "Secrets (API_TOKENS, RUNNER_KEY) are set with `wrangler secret put`, never in wrangler.toml (SECURITY.md).",
      "Exit status: 0 deployed (or built), 1 the checker found errors, wrangler failed or the bundle is over the paid limit.",
      "",
      "Examples:",
      "  npx paxflow deploy --dry-run",
      "  npx paxflow deploy",
    ].join("\n"),
  )
  .action(async (paths: string[], flags: DeployFlags) => {
    const sources = paths.length > 0 ? paths.map((p) => resolve(p)) : defaultSources(process.cwd());
    // The checker's findings go to stderr: stdout carries the size report (--json).
    const checked = runCheck(sources, { allowModule: [], quietOk: true }, (line) => console.error(line));
    if (checked === "missing" || checked.errors > 0) {
      console.error(`error: the checker found errors in the deployed stages and jobs; fix them before deploying (npx paxflow check ${sources.map((p) => relative(process.cwd(), p) || ".").join(" ")})`);
      process.exitCode = 1;
      return;
    }
    if (!flags.dryRun) {
      const { code } = await wrangler(["deploy"], false);
      process.exitCode = code;
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

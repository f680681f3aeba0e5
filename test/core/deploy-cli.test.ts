/** `paxflow deploy --dry-run`: the checker, then what wrangler would upload, measured against the Workers limits. */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type BundleReport, SIZE_LIMITS, measureBundle } from "../../cli/commands/deploy.ts";

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

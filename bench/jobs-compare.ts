/**
 * `npm run bench:jobs -- --against <rev>`: bench:jobs in a checkout of `rev` and in this tree,
 * one shape at a time with the sides taking turns (bench/side-by-side.ts), then the figures side
 * by side: latency p50 / p99, jobs/s, snapshots inside the timed windows, and the fan-out's p99
 * over the chain's (issue 16: at most 2×).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { table } from "../cli/table.ts";
import type { Shape, ShapeResult } from "./jobs.ts";
import { type Measured, type Side, runIn, turn, withSides } from "./side-by-side.ts";
import { round } from "./stats.ts";

export interface JobsCompareOptions {
  readonly against: string;
  readonly shapes: readonly Shape[];
  /** bench:jobs flags other than --shape, --json and --out, passed to both sides. */
  readonly args: readonly string[];
  readonly timeoutMs: number;
  readonly out: string;
  readonly log: (line: string) => void;
}

type BySide = Record<string, Measured<ShapeResult>>;

export function compareJobs(o: JobsCompareOptions): Promise<{ text: string; out: string }> {
  return withSides(o.against, [], o.log, async (sides) => {
    const dir = mkdtempSync(join(tmpdir(), "paxflow-jobs-compare-"));
    try {
      const byShape = new Map<Shape, BySide>();
      for (const [i, shape] of o.shapes.entries()) {
        const bySide: BySide = {};
        for (const [s, side] of turn([...sides.entries()], i)) {
          o.log(`${shape}: ${side.label}`);
          const file = join(dir, `${s}-${shape}.json`);
          const ran = await runIn(side.dir, "cli/main.ts", ["bench", "jobs", "--shape", shape, ...o.args, "--out", file], o.timeoutMs, (line) => o.log(`  ${line}`));
          bySide[side.label] = "failed" in ran ? ran : (JSON.parse(readFileSync(file, "utf8")) as { results: ShapeResult[] }).results[0]!;
        }
        byShape.set(shape, bySide);
      }
      writeFileSync(o.out, `${JSON.stringify({ benchmark: "jobs-compare", at: new Date().toISOString(), sides, shapes: Object.fromEntries(byShape) }, null, 2)}\n`);
      return { text: render(byShape, sides), out: o.out };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

function render(byShape: ReadonlyMap<Shape, BySide>, sides: readonly Side[]): string {
  const rows: string[][] = [];
  for (const [shape, bySide] of byShape) {
    for (const side of sides) {
      const r = bySide[side.label]!;
      if ("failed" in r) rows.push([shape, side.label, r.failed, "", "", "", ""]);
      else rows.push([shape, side.label, String(round(r.latency.p50, 2)), String(round(r.latency.p99, 2)), String(Math.round(r.throughput.jobsPerSecond)), `${r.compactions.sequential} / ${r.compactions.throughput}`, String(round(r.slotsPerJob.throughput, 2))]);
    }
  }
  const ratio = (label: string) => {
    const [chain, fanout] = [byShape.get("chain")?.[label], byShape.get("fanout")?.[label]];
    return chain && fanout && !("failed" in chain) && !("failed" in fanout) ? `${round(fanout.latency.p99 / chain.latency.p99, 2)}×` : "n/a";
  };
  const ratios = sides.map((s) => `${s.label}: ${ratio(s.label)}`).join("; ");
  return `${table(["shape", "side", "p50 ms", "p99 ms", "jobs/s", "snapshots (seq / load)", "slots per job (load)"], rows)}\n\nfan-out p99 / chain p99: ${ratios}`;
}

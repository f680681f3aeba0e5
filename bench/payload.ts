/**
 * Large stage payloads end to end (issue 16: "a 50 MB stage payload end to end < 2 s, the API
 * answering meanwhile"): `payloads/roundtrip` (examples/payloads.ts) on the local cluster with
 * one CPU runner, per size the time from POST /v1/jobs to the finished job, and GET /v1/cluster
 * asked every 50 ms meanwhile (p50, p99, max, and the polls that got no answer). Each run of a
 * side is one process of bench/payload-case.ts with a cluster of its own; with `against`, the
 * revision's side runs right before or after this tree's (the order alternating between runs),
 * so both columns of a row see the same machine.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname } from "node:path";
import { table } from "../cli/table.ts";
import type { PayloadCase, SizeResult } from "./payload-case.ts";
import { type Side, measureIn, median, stamp, turn, withSides } from "./side-by-side.ts";
import { round, summarize } from "./stats.ts";

export const DEFAULT_SIZES_MB = [5, 20, 50] as const;

/**
 * What a revision without them needs: the case, the job it runs, and the registry listing it
 * (replaced there). A revision without the job predates Stored values (they came together), so
 * there the job takes its results the plain way: the same calls, every value read by the job.
 */
const MEASURING_FILES = ["bench/payload-case.ts", "bench/cluster-polls.ts", "examples/payloads.ts", "examples/index.ts"];
const CARRIED = {
  overwrite: ["examples/index.ts"],
  adapt: (file: string, text: string) => (file === "examples/payloads.ts" ? text.replace(/\.stored\(/g, "(") : text),
};

export interface PayloadOptions {
  readonly sizesMb: readonly number[];
  readonly against?: string;
  /** Runs per side (each its own cluster); the median time is reported, the polls of all runs pooled. */
  readonly runs: number;
  readonly timeoutMs: number;
  readonly out: string;
  readonly log: (line: string) => void;
}

/** One size on one side, over its runs. */
export interface PayloadFigure {
  /** Median over the runs that finished; null when none did. */
  readonly ms: number | null;
  readonly runsMs: readonly number[];
  readonly failures: readonly string[];
  readonly cluster: {
    readonly polls: number;
    readonly failed: number;
    readonly leaderChanges: number;
    readonly p50: number | null;
    readonly p99: number | null;
    readonly max: number | null;
  };
}

export interface PayloadRow {
  readonly mb: number;
  /** By side label. */
  readonly figures: Readonly<Record<string, PayloadFigure>>;
}

function figure(results: readonly SizeResult[], failures: readonly string[]): PayloadFigure {
  const runsMs = results.flatMap((r) => (r.ms === null ? [] : [r.ms]));
  const polls = results.flatMap((r) => r.pollsMs);
  const failed = results.reduce((n, r) => n + r.pollFailures, 0);
  const leaderChanges = results.reduce((n, r) => n + r.leaderChanges, 0);
  const summary = polls.length > 0 ? summarize(polls) : undefined;
  return {
    ms: runsMs.length > 0 ? median(runsMs) : null,
    runsMs,
    failures: [...failures, ...results.flatMap((r) => (r.failed === undefined ? [] : [r.failed]))],
    cluster: { polls: polls.length, failed, leaderChanges, p50: summary?.p50 ?? null, p99: summary?.p99 ?? null, max: polls.length > 0 ? Math.max(...polls) : null },
  };
}

async function measureAll(sides: readonly Side[], o: PayloadOptions): Promise<PayloadRow[]> {
  const results = new Map<string, SizeResult[]>();
  const failures = new Map<string, string[]>();
  const key = (label: string, mb: number) => `${label} ${mb}`;
  for (let run = 0; run < o.runs; run++) {
    // Alternate which side goes first, so neither always meets the machine warmer.
    for (const side of turn(sides, run)) {
      o.log(`${side.label}: run ${run + 1}/${o.runs}, ${o.sizesMb.join(", ")} MB`);
      const measured = await measureIn<PayloadCase>(side.dir, "bench/payload-case.ts", [o.sizesMb.join(",")], o.timeoutMs);
      for (const mb of o.sizesMb) {
        if ("failed" in measured) {
          failures.set(key(side.label, mb), [...(failures.get(key(side.label, mb)) ?? []), measured.failed]);
          continue;
        }
        const size = measured.sizes.find((s) => s.mb === mb)!;
        results.set(key(side.label, mb), [...(results.get(key(side.label, mb)) ?? []), size]);
        o.log(`  ${mb} MB: ${size.ms === null ? size.failed : `${Math.round(size.ms)} ms`}; GET /v1/cluster: ${size.pollsMs.length - size.pollFailures} answered, ${size.pollFailures} not`);
      }
      if ("failed" in measured) o.log(`  ${measured.failed}`);
    }
  }
  return o.sizesMb.map((mb) => ({
    mb,
    figures: Object.fromEntries(sides.map((s) => [s.label, figure(results.get(key(s.label, mb)) ?? [], failures.get(key(s.label, mb)) ?? [])])),
  }));
}

function render(rows: readonly PayloadRow[], sides: readonly Side[]): string {
  const ms = (x: number | null) => (x === null ? "-" : Math.round(x).toLocaleString("en"));
  const headers = ["MB", ...sides.flatMap((s) => [`${s.label} ms`, "cluster p50", "p99", "max", "no answer", "leader changes"]), ...(sides.length === 2 ? [`${sides[1]!.label} / ${sides[0]!.label}`] : [])];
  const body = rows.map((row) => {
    const cells = sides.flatMap((s) => {
      const f = row.figures[s.label]!;
      const time = f.ms === null ? (f.failures[0] ?? "failed").slice(0, 60) : ms(f.ms);
      return [time, ms(f.cluster.p50), ms(f.cluster.p99), ms(f.cluster.max), `${f.cluster.failed}/${f.cluster.polls}`, String(f.cluster.leaderChanges)];
    });
    const [a, b] = sides.map((s) => row.figures[s.label]!.ms);
    const ratio = sides.length === 2 ? [a != null && b != null ? `${round(b / a, 2)}×` : ""] : [];
    return [String(row.mb), ...cells, ...ratio];
  });
  return [
    table(headers, body),
    "",
    "ms: POST /v1/jobs to the finished job (payloads/roundtrip: make the value, a stage that takes it and returns one as large, sum; all on one runner)",
    "cluster: GET /v1/cluster latency in ms, asked every 50 ms (one at a time) during the job, a poll without a 200 within 5 s counted as 5,000; no answer: those / all polls",
  ].join("\n");
}

export const defaultPayloadOut = () => `bench/results/payload-${stamp()}.json`;

export async function benchPayload(o: PayloadOptions): Promise<{ rows: PayloadRow[]; text: string; out: string }> {
  return withSides(o.against, MEASURING_FILES, o.log, async (sides) => {
    const loadBefore = loadavg();
    const rows = await measureAll(sides, o);
    const machine = { cpus: availableParallelism(), loadavgBefore: loadBefore, loadavgAfter: loadavg() };
    mkdirSync(dirname(o.out), { recursive: true });
    const options = { sizesMb: o.sizesMb, against: o.against ?? null, runs: o.runs, timeoutMs: o.timeoutMs };
    writeFileSync(o.out, `${JSON.stringify({ benchmark: "payload", at: new Date().toISOString(), machine, options, sides, rows }, null, 2)}\n`);
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
    const text = `${render(rows, sides)}\n\n${machine.cpus} CPUs, load average before ${load(loadBefore)}, after ${load(machine.loadavgAfter)}; median of ${o.runs} run(s) per figure`;
    return { rows, text, out: o.out };
  }, CARRIED);
}

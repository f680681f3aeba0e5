/**
 * How a job's cost grows with its size (issue 16): a chain of N inline calls, a fan-out of N
 * calls on runners, and the `dag` example as a chain of N tasks, each in the real JobDriver over
 * in-memory acceptors in Node (no workerd: fast and repeatable). Each figure is one process of
 * bench/scale-case.ts; with `against`, the same case runs in a checkout of that revision right
 * before or after this tree's (the order alternating between runs), so both columns of a row
 * see the same machine: a shared one is too noisy to compare runs made apart.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname } from "node:path";
import { table } from "../cli/table.ts";
import { type Measured, type Side, measureIn, median, stamp, turn, withSides } from "./side-by-side.ts";
import { round } from "./stats.ts";

export const CASES = ["chain", "fanout", "dag"] as const;
export type Case = (typeof CASES)[number];

const SIZES: Record<Case, { full: readonly number[]; quick: readonly number[] }> = {
  chain: { full: [10, 1_000, 4_000, 10_000], quick: [10, 1_000, 2_000] },
  fanout: { full: [100, 1_000, 10_000], quick: [100, 1_000] },
  dag: { full: [100, 500, 1_500, 2_000], quick: [100, 500] },
};

const DESCRIPTION: Record<Case, string> = {
  chain: "chain of N trivial sequential calls, inline",
  fanout: "fan-out of N calls with all(...), answered asynchronously by an in-process runner (some by the stage Worker)",
  dag: "the dag example, a chain of N tasks",
};

/** What a revision without them needs to run the measurement (copied there). */
const MEASURING_FILES = ["bench/scale-case.ts", "runtime/jobs/memory-shard.ts"];

export interface ScaleOptions {
  readonly cases: readonly Case[];
  readonly quick: boolean;
  /** A git revision to measure beside this tree. */
  readonly against?: string;
  /** Runs per figure (each side); the median is reported. */
  readonly runs: number;
  readonly timeoutMs: number;
  readonly out: string;
  readonly log: (line: string) => void;
}

/** One figure: the median of its runs, or why there is none. */
export type Figure =
  | {
      readonly ms: number;
      readonly runsMs: readonly number[];
      /** The longest the job held the thread (event-loop delay), median over runs; absent from revisions that did not measure it. */
      readonly maxPauseMs?: number;
    }
  | { readonly failed: string };


export interface ScaleRow {
  readonly case: Case;
  readonly n: number;
  /** By side label. */
  readonly figures: Readonly<Record<string, Figure>>;
}

/** Runs one measurement in `dir`; kills it after `timeoutMs`. */
const measureOnce = (dir: string, kind: Case, n: number, timeoutMs: number): Promise<Measured<{ ms: number; maxPauseMs?: number }>> => measureIn(dir, "bench/scale-case.ts", [kind, String(n)], timeoutMs);

/** Every case at every size, each side in turn; a side that failed at some N skips the larger ones. */
async function measureAll(sides: readonly Side[], o: ScaleOptions): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  for (const kind of o.cases) {
    const failedAt = new Map<string, number>();
    for (const n of SIZES[kind][o.quick ? "quick" : "full"]) {
      const runs = new Map<string, number[]>(sides.map((s) => [s.label, []]));
      const pauses = new Map<string, number[]>(sides.map((s) => [s.label, []]));
      const failures = new Map<string, string>();
      for (let run = 0; run < o.runs; run++) {
        for (const side of turn(sides, run)) {
          const smaller = failedAt.get(side.label);
          if (smaller !== undefined) {
            failures.set(side.label, `skipped (failed at N = ${smaller.toLocaleString("en")})`);
            continue;
          }
          if (failures.has(side.label)) continue;
          o.log(`${kind} N=${n.toLocaleString("en")}: ${side.label}, run ${run + 1}/${o.runs}`);
          const figure = await measureOnce(side.dir, kind, n, o.timeoutMs);
          if ("failed" in figure) failures.set(side.label, figure.failed);
          else {
            runs.get(side.label)!.push(figure.ms);
            if (figure.maxPauseMs !== undefined) pauses.get(side.label)!.push(figure.maxPauseMs);
          }
          o.log(`  ${"failed" in figure ? figure.failed : `${round(figure.ms, 1)} ms${figure.maxPauseMs === undefined ? "" : `, longest pause ${round(figure.maxPauseMs, 1)} ms`}`}`);
        }
      }
      const figures: Record<string, Figure> = {};
      for (const side of sides) {
        const failed = failures.get(side.label);
        const paused = pauses.get(side.label)!;
        if (failed === undefined) figures[side.label] = { ms: median(runs.get(side.label)!), runsMs: runs.get(side.label)!, ...(paused.length > 0 ? { maxPauseMs: median(paused) } : {}) };
        else {
          figures[side.label] = { failed };
          if (!failedAt.has(side.label)) failedAt.set(side.label, n);
        }
      }
      rows.push({ case: kind, n, figures });
    }
  }
  return rows;
}

const perCall = (f: Figure | undefined, n: number): number | null => (f && "ms" in f ? f.ms / n : null);

/** Per-call time at this N over per-call time at the case's smallest N. */
function growth(rows: readonly ScaleRow[], row: ScaleRow, label: string): string {
  const first = rows.find((r) => r.case === row.case)!;
  const [now, base] = [perCall(row.figures[label], row.n), perCall(first.figures[label], first.n)];
  return now === null || base === null ? "" : `${round(now / base, 2)}×`;
}

function render(rows: readonly ScaleRow[], sides: readonly Side[]): string {
  const ms = (f: Figure) => ("ms" in f ? Math.round(f.ms).toLocaleString("en") : f.failed);
  const pause = (f: Figure) => ("maxPauseMs" in f && f.maxPauseMs !== undefined ? String(Math.round(f.maxPauseMs)) : "");
  const headers = ["case", "N", ...sides.flatMap((s) => [`${s.label} ms`, "ms/call", "growth", "pause ms"]), ...(sides.length === 2 ? [`${sides[1]!.label} / ${sides[0]!.label}`] : [])];
  const body = rows.map((row) => {
    const cells = sides.flatMap((s) => {
      const f = row.figures[s.label]!;
      const call = perCall(f, row.n);
      return [ms(f), call === null ? "" : String(round(call, 3)), growth(rows, row, s.label), pause(f)];
    });
    const [a, b] = sides.map((s) => row.figures[s.label]!);
    const ratio = sides.length === 2 && "ms" in a! && "ms" in b! ? [`${round(b.ms / a.ms, 2)}×`] : sides.length === 2 ? [""] : [];
    return [row.case, row.n.toLocaleString("en"), ...cells, ...ratio];
  });
  const legend = [...new Set(rows.map((r) => r.case))].map((c) => `  ${c}: ${DESCRIPTION[c]}`);
  return [table(headers, body), "", "growth: ms per call at this N / ms per call at the case's smallest N",
    "pause ms: the longest the job held the thread (Node's event-loop delay; acceptors answer in a later macrotask, as a Durable Object's RPC does)", ...legend].join("\n");
}

export const defaultScaleOut = () => `bench/results/scale-${stamp()}.json`;

export function benchScale(o: ScaleOptions): Promise<{ rows: ScaleRow[]; text: string; out: string }> {
  return withSides(o.against, MEASURING_FILES, o.log, async (sides) => {
    const loadBefore = loadavg();
    const rows = await measureAll(sides, o);
    const machine = { cpus: availableParallelism(), loadavgBefore: loadBefore, loadavgAfter: loadavg() };
    mkdirSync(dirname(o.out), { recursive: true });
    const options = { cases: o.cases, quick: o.quick, against: o.against ?? null, runs: o.runs, timeoutMs: o.timeoutMs };
    writeFileSync(o.out, `${JSON.stringify({ benchmark: "scale", at: new Date().toISOString(), machine, options, sides, rows }, null, 2)}\n`);
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
    const text = `${render(rows, sides)}\n\n${machine.cpus} CPUs, load average before ${load(loadBefore)}, after ${load(machine.loadavgAfter)}; median of ${o.runs} run(s) per figure`;
    return { rows, text, out: o.out };
  });
}

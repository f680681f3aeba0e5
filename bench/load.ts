/**
 * `npm run bench:load`: the local cluster under the loads issue 16 names, measured as its users
 * see them (bench/load-case.ts runs each case in a process of its own): one big job at a time
 * (the dag example as a chain of N tasks; monte-carlo/pi with N sample calls on runners) while
 * GET /v1/cluster is polled every 100 ms, and a soak of many small jobs (jobs/s per tenth of the
 * run, workerd's memory, the longest stretch with no job finishing, every result read back).
 * With `against`, each case also runs in a checkout of that revision, right beside this tree's.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname } from "node:path";
import { table } from "../cli/table.ts";
import { type Measured, type Side, measureIn, stamp, turn, withSides } from "./side-by-side.ts";
import { round } from "./stats.ts";
import type { StageWorkerPlacement } from "../cli/local-cluster.ts";

export const LOAD_CASES = ["dag", "fanout", "soak"] as const;
export type LoadCase = (typeof LOAD_CASES)[number];

export interface LoadOptions {
  readonly cases: readonly LoadCase[];
  /** Tasks of the dag chain and sample calls of the fan-out. */
  readonly bigN: { readonly dag: number; readonly fanout: number };
  /** Small jobs in the soak, and the clients sending them. */
  readonly soakJobs: number;
  readonly clients: number;
  readonly against?: string;
  /** Worker variables for every cluster of the run (e.g. WORKER_SLOTS), on both sides. */
  readonly vars: Readonly<Record<string, string>>;
  /** Samples per call of the fan-out (monte-carlo/pi's samplesPerRun); absent: bench/load-case.ts's default. */
  readonly samplesPerRun?: number;
  /** Where the stage Worker runs (cli/local-cluster.ts); a revision older than the option runs it shared whatever this says. */
  readonly stageWorker: StageWorkerPlacement;
  readonly timeoutMs: number;
  readonly out: string;
  readonly log: (line: string) => void;
}

/** What a revision without them needs to run the measurement (copied there). */
const MEASURING_FILES = ["bench/load-case.ts", "bench/cluster-polls.ts"];

interface BigFigures {
  readonly status: string;
  readonly jobMs: number;
  readonly nextJobStatus: number;
  readonly pollP50Ms: number;
  readonly pollP99Ms: number;
  readonly pollMaxMs: number;
  readonly pollsFailed: number;
  readonly polls: number;
  readonly leaderChanges: number;
  readonly rssStartMiB: number;
  readonly rssMaxMiB: number;
}

interface SoakFigures {
  readonly jobs: number;
  readonly jobsPerSecond: number;
  readonly windows: readonly number[];
  readonly lastOverFirstAfterWarmup: number;
  readonly longestGapMs: number;
  readonly heapWarmMiB: number;
  readonly heapEndMiB: number;
  readonly rssWarmMiB: number;
  readonly rssEndMiB: number;
  readonly rssMaxMiB: number;
  readonly readable: number;
  readonly keysChecked: number;
  readonly keysKept: number;
  readonly refused: number;
  readonly pollP99Ms: number;
  readonly pollMaxMs: number;
  readonly pollsFailed: number;
  readonly polls: number;
  readonly leaderChanges: number;
}

type CaseFigures = { readonly case: LoadCase; readonly bySide: Readonly<Record<string, Measured<BigFigures | SoakFigures>>> };

/** What the case process is told besides its case (bench/load-case.ts options); none for the defaults, which any revision's load-case.ts runs. */
const caseOptions = (o: LoadOptions): string[] => [
  ...(Object.keys(o.vars).length > 0 ? [`--vars=${JSON.stringify(o.vars)}`] : []),
  ...(o.samplesPerRun === undefined ? [] : [`--samples=${o.samplesPerRun}`]),
  ...(o.stageWorker === "shared" ? [] : [`--stage-worker=${o.stageWorker}`]),
];

const args = (kind: LoadCase, o: LoadOptions): string[] => [
  ...(kind === "soak" ? ["soak", String(o.soakJobs), String(o.clients)] : ["big", kind, String(o.bigN[kind])]),
  ...caseOptions(o),
];

const ms = (x: number) => Math.round(x).toLocaleString("en");

/** The rows of one case: a measure per row, a column per side. */
function rowsOf(c: CaseFigures, sides: readonly Side[], o: LoadOptions): string[][] {
  const cell = (side: Side, f: (x: BigFigures & SoakFigures) => string) => {
    const m = c.bySide[side.label]!;
    return "failed" in m ? m.failed : f(m as BigFigures & SoakFigures);
  };
  const row = (measure: string, f: (x: BigFigures & SoakFigures) => string) => [c.case, measure, ...sides.map((s) => cell(s, f))];
  if (c.case === "soak") {
    return [
      row(`${o.soakJobs.toLocaleString("en")} jobs, ${o.clients} clients: jobs/s`, (x) => String(round(x.jobsPerSecond, 1))),
      row("jobs/s, last tenth / second tenth", (x) => `${round(x.lastOverFirstAfterWarmup, 2)}× (${x.windows.map((w) => Math.round(w)).join(" ")})`),
      row("isolate heap after a GC, warm-up → end, MiB", (x) => `${round(x.heapWarmMiB, 1)} → ${round(x.heapEndMiB, 1)}`),
      row("workerd resident memory after warm-up → end (max), MiB", (x) => `${Math.round(x.rssWarmMiB)} → ${Math.round(x.rssEndMiB)} (${Math.round(x.rssMaxMiB)})`),
      row("longest stretch with no job finishing, ms", (x) => ms(x.longestGapMs)),
      row("GET /v1/cluster p99 / max, ms (failed)", (x) => `${ms(x.pollP99Ms)} / ${ms(x.pollMaxMs)} (${x.pollsFailed} of ${x.polls})`),
      row("results readable at the end", (x) => `${x.readable.toLocaleString("en")} of ${x.jobs.toLocaleString("en")}`),
      row("idempotency keys still naming their job", (x) => `${x.keysKept} of ${x.keysChecked}`),
      row("leader changes; submits refused (retried)", (x) => `${x.leaderChanges}; ${x.refused}`),
    ];
  }
  return [
    row(`${c.case === "dag" ? "dag chain" : "monte-carlo/pi fan-out"} of ${o.bigN[c.case].toLocaleString("en")}: job ms`, (x) => `${ms(x.jobMs)} (${x.status})`),
    row("GET /v1/cluster p50 / p99 / max, ms", (x) => `${ms(x.pollP50Ms)} / ${ms(x.pollP99Ms)} / ${ms(x.pollMaxMs)}`),
    row("polls failed (> 2 s or an error)", (x) => `${x.pollsFailed} of ${x.polls}`),
    row("leader changes; the next job's answer", (x) => `${x.leaderChanges}; ${x.nextJobStatus}`),
    row("workerd memory start → max, MiB", (x) => `${Math.round(x.rssStartMiB)} → ${Math.round(x.rssMaxMiB)}`),
  ];
}

export const defaultLoadOut = () => `bench/results/load-${stamp()}.json`;

export function benchLoad(o: LoadOptions): Promise<{ cases: CaseFigures[]; text: string; out: string }> {
  const told = caseOptions(o);
  // An older load-case.ts would ignore these options: with any, the other side measures with this one.
  const carried = told.length > 0 ? { overwrite: ["bench/load-case.ts"] } : {};
  return withSides(o.against, MEASURING_FILES, o.log, async (sides) => {
    const loadBefore = loadavg();
    const cases: CaseFigures[] = [];
    for (const [i, kind] of o.cases.entries()) {
      const bySide: Record<string, Measured<BigFigures | SoakFigures>> = {};
      for (const side of turn(sides, i)) {
        o.log(`${kind}: ${side.label}`);
        bySide[side.label] = await measureIn(side.dir, "bench/load-case.ts", args(kind, o), o.timeoutMs, (line) => o.log(`  ${line}`));
      }
      cases.push({ case: kind, bySide });
    }
    const machine = { cpus: availableParallelism(), loadavgBefore: loadBefore, loadavgAfter: loadavg() };
    mkdirSync(dirname(o.out), { recursive: true });
    const options = { cases: o.cases, bigN: o.bigN, soakJobs: o.soakJobs, clients: o.clients, against: o.against ?? null, vars: o.vars, samplesPerRun: o.samplesPerRun ?? null, stageWorker: o.stageWorker };
    writeFileSync(o.out, `${JSON.stringify({ benchmark: "load", at: new Date().toISOString(), machine, options, sides, cases }, null, 2)}\n`);
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
    const body = cases.flatMap((c) => rowsOf(c, sides, o));
    const toldLine = told.length > 0 ? `\nwith ${told.join(" ")}` : "";
    const text = `${table(["case", "measure", ...sides.map((s) => s.label)], body)}\n\n${machine.cpus} CPUs, load average before ${load(loadBefore)}, after ${load(machine.loadavgAfter)}${toldLine}`;
    return { cases, text, out: o.out };
  }, carried);
}

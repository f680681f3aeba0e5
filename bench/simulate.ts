/**
 * Scheduler benchmark on the simulator (`npm run bench:simulate`): DAG families × the
 * heterogeneous example clusters × seeds, four scenarios, every policy; then the issue's targets,
 * each met or missed with its figure. Tables on stdout, JSON in bench/results/simulate-<ts>.json.
 *
 * Families: chain (16 tasks), fork-join (16 wide, 2 rounds, a quarter simd), random layered
 * (6 layers up to 8 wide, and 10 layers up to 16 wide; a quarter simd); each seed draws new
 * runtimes (1–20 s at speed 1), sizes (1–100 MB) and shapes.
 * Clusters: examples/clusters/hetero-8.json (speeds 1–4, one simd-only node) and
 * hetero-12.json (0.5–4, two simd-only nodes, a slower network).
 *
 * Scenarios (the fault times and victims are chosen from the HEFT plan of the exact run, so no
 * policy picks its own victim):
 * - exact: declared runtimes are the real ones, no faults;
 * - noisy: estimateNoise 0.5 (HEFT plans with the declared runtimes, runs with the real ones);
 * - slow: a node (seeded pick among those HEFT's plan gives work) slows 5× at a quarter of HEFT's
 *   planned makespan, for good;
 * - slow-busiest: the same for the node HEFT's plan keeps busiest (the worst case: on hetero-12 that
 *   node is over a quarter of the capacity, so even instant detection cannot stay within 15%);
 * - crash: that node crashes at a quarter (for good), the next busiest at 40% and comes back at 70%.
 *
 * In the slow and crash scenarios an extra row, "oracle", runs paxflow-static told of every fault
 * the moment it happens: what instant, perfect failure detection would buy, so the distance to
 * it is what detection costs.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, hostname } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { table } from "../cli/table.ts";
import { Random } from "../core/sim/random.ts";
import {
  type Cluster,
  type Dag,
  type Fault,
  POLICIES,
  type PolicyName,
  type SimulationReport,
  checkRunnable,
  dagFromSpec,
  heftPlan,
  parseCluster,
  simulate,
  verifyRun,
} from "../core/sim/dag/index.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export const FAMILIES = {
  chain: (seed: number) => `chain:length=16,seed=${seed}`,
  "fork-join": (seed: number) => `fork-join:width=16,stages=2,simd=0.25,seed=${seed}`,
  random: (seed: number) => `random:layers=6,width=8,seed=${seed}`,
  "random-large": (seed: number) => `random:layers=10,width=16,seed=${seed}`,
} as const;
export const CLUSTERS = ["hetero-8", "hetero-12"] as const;
export const SCENARIOS = ["exact", "noisy", "slow", "slow-busiest", "crash"] as const;
type Family = keyof typeof FAMILIES;
type Scenario = (typeof SCENARIOS)[number];

export interface SimulateBenchOptions {
  /** Seeds per (family, cluster): 1..seeds. */
  readonly seeds: number;
  readonly out: string;
  readonly log: (line: string) => void;
}

/** A policy, or "oracle": paxflow-static told of every fault the moment it happens (simulate's faultOracle), the yardstick for detection. */
export type Variant = PolicyName | "oracle";
const VARIANTS: readonly Variant[] = [...POLICIES, "oracle"];

export interface BenchRun {
  readonly policy: Variant;
  readonly family: Family;
  readonly cluster: string;
  readonly seed: number;
  readonly scenario: Scenario;
  readonly dag: string;
  readonly faults: readonly Fault[];
  readonly report: SimulationReport;
  /** verifyRun's problems (empty: every task done once, dependencies kept, makespan >= bound). */
  readonly problems: readonly string[];
  readonly ms: number;
  readonly episodes: readonly { node: string; kind: string; at: number; flaggedAt: number | null; visibleAt: number | null; lead: number | null }[];
  readonly timeouts: number;
  readonly drained: number;
}

export interface Target {
  readonly id: number;
  readonly target: string;
  readonly figure: string;
  readonly met: boolean;
}

export interface SimulateBenchResults {
  readonly machine: { readonly host: string; readonly cpu: string; readonly cores: number; readonly node: string };
  readonly startedAt: string;
  readonly tookMs: number;
  readonly seeds: number;
  readonly targets: readonly Target[];
  readonly runs: readonly BenchRun[];
}

export const defaultOut = () => `bench/results/simulate-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;

const mean = (xs: readonly number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const r2 = (x: number) => Number(x.toFixed(2));
const r3 = (x: number) => Number(x.toFixed(3));

/** Busy ms per node in HEFT's plan, busiest first. */
function busiest(dag: Dag, cluster: Cluster): { nodes: string[]; used: string[]; makespanS: number } {
  const plan = heftPlan(dag, cluster);
  const busy = new Map<string, number>(cluster.nodes.map((n) => [n.id, 0]));
  for (const a of plan.assignments.values()) busy.set(a.node, busy.get(a.node)! + a.finish - a.start);
  const nodes = [...busy.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
  return { nodes, used: cluster.nodes.map((n) => n.id).filter((id) => busy.get(id)! > 0), makespanS: plan.makespan / 1000 };
}

function scenarioCluster(base: Cluster, dag: Dag, scenario: Scenario, seed: number): Cluster {
  if (scenario === "exact") return base;
  if (scenario === "noisy") return { ...base, estimateNoise: 0.5 };
  const { nodes, used, makespanS } = busiest(dag, base);
  const at = (f: number) => Number((f * makespanS).toFixed(3));
  if (scenario === "slow-busiest") return { ...base, faults: [{ node: nodes[0]!, at: at(0.25), kind: "slow", factor: 5 }] };
  if (scenario === "slow") return { ...base, faults: [{ node: new Random(seed * 7919 + used.length).pick(used), at: at(0.25), kind: "slow", factor: 5 }] };
  // Crash the busiest node for good and the next busiest for a while; skip victims that would leave a task no node (a simd task, say).
  for (let i = 0; i < nodes.length; i++) {
    for (let j = 0; j < nodes.length; j++) {
      if (i === j) continue;
      const c: Cluster = {
        ...base,
        faults: [
          { node: nodes[i]!, at: at(0.25), kind: "crash" },
          { node: nodes[j]!, at: at(0.4), kind: "crash" },
          { node: nodes[j]!, at: at(0.7), kind: "recover" },
        ],
      };
      try {
        checkRunnable(dag, c);
        return c;
      } catch {
        // try the next pair
      }
    }
  }
  throw new Error(`no crash pair leaves ${dag.name} runnable`);
}

export function benchSimulate(o: SimulateBenchOptions): { results: SimulateBenchResults; text: string; out: string } {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const clusters = Object.fromEntries(CLUSTERS.map((name) => [name, parseCluster(JSON.parse(readFileSync(resolve(ROOT, `examples/clusters/${name}.json`), "utf8")))]));
  const runs: BenchRun[] = [];
  for (const family of Object.keys(FAMILIES) as Family[]) {
    for (const clusterName of CLUSTERS) {
      for (let seed = 1; seed <= o.seeds; seed++) {
        const dag = dagFromSpec(FAMILIES[family](seed));
        for (const scenario of SCENARIOS) {
          const cluster = scenarioCluster(clusters[clusterName]!, dag, scenario, seed);
          for (const policy of VARIANTS) {
            if (policy === "oracle" && cluster.faults.length === 0) continue;
            const t = performance.now();
            const result = simulate(dag, cluster, policy === "oracle" ? { policy: "paxflow-static", seed, faultOracle: true } : { policy, seed });
            runs.push({
              policy,
              family,
              cluster: clusterName,
              seed,
              scenario,
              dag: dag.name,
              faults: cluster.faults,
              report: result.report,
              problems: verifyRun(dag, result),
              ms: r2(performance.now() - t),
              episodes: result.episodes,
              timeouts: result.timeouts,
              drained: result.drained,
            });
          }
        }
        o.log(`${family} on ${clusterName}, seed ${seed}: ${runs.filter((r) => r.family === family && r.cluster === clusterName && r.seed === seed).length} runs (${((performance.now() - started) / 1000).toFixed(1)} s so far)`);
      }
    }
  }
  const targets = judge(runs);
  const results: SimulateBenchResults = {
    machine: { host: hostname(), cpu: cpus()[0]?.model ?? "unknown", cores: availableParallelism(), node: process.version },
    startedAt,
    tookMs: Math.round(performance.now() - started),
    seeds: o.seeds,
    targets,
    runs,
  };
  mkdirSync(dirname(resolve(ROOT, o.out)), { recursive: true });
  writeFileSync(resolve(ROOT, o.out), `${JSON.stringify(results, null, 1)}\n`);
  return { results, text: render(results), out: o.out };
}

type Key = `${Family}|${string}|${number}`;
const keyOf = (r: BenchRun): Key => `${r.family}|${r.cluster}|${r.seed}`;

function index(runs: readonly BenchRun[]) {
  const m = new Map<string, BenchRun>();
  for (const r of runs) m.set(`${keyOf(r)}|${r.scenario}|${r.policy}`, r);
  return (key: Key, scenario: Scenario, policy: Variant) => m.get(`${key}|${scenario}|${policy}`)!;
}

/** Mean over (family, cluster, seed) of f, for one scenario. */
function meanOver(runs: readonly BenchRun[], scenario: Scenario, f: (key: Key) => number, family?: Family): number {
  const keys = [...new Set(runs.filter((r) => r.scenario === scenario && (!family || r.family === family)).map(keyOf))];
  return mean(keys.map(f));
}

export function judge(runs: readonly BenchRun[]): Target[] {
  const get = index(runs);
  const span = (k: Key, s: Scenario, p: Variant) => get(k, s, p).report.makespan;
  const exactVsHeft = meanOver(runs, "exact", (k) => span(k, "exact", "paxflow") / span(k, "exact", "heft"));
  const noisyVsHeft = meanOver(runs, "noisy", (k) => span(k, "noisy", "paxflow") / span(k, "noisy", "heft"));
  const noisyWins = [...new Set(runs.filter((r) => r.scenario === "noisy").map(keyOf))].filter((k) => span(k, "noisy", "paxflow") < span(k, "noisy", "heft")).length;
  const pairs = new Set(runs.map(keyOf)).size;
  const slowVsClean = meanOver(runs, "slow", (k) => span(k, "slow", "paxflow") / span(k, "exact", "paxflow"));
  const oracleVsClean = meanOver(runs, "slow", (k) => span(k, "slow", "oracle") / span(k, "exact", "paxflow-static"));
  const busiestVsClean = meanOver(runs, "slow-busiest", (k) => span(k, "slow-busiest", "paxflow") / span(k, "exact", "paxflow"));
  const busiestOracle = meanOver(runs, "slow-busiest", (k) => span(k, "slow-busiest", "oracle") / span(k, "exact", "paxflow-static"));
  const crashRuns = runs.filter((r) => r.scenario === "crash" && r.policy !== "oracle");
  const crashOk = crashRuns.filter((r) => r.problems.length === 0).length;
  const allOk = runs.filter((r) => r.problems.length === 0).length;
  const slow = runs.filter((r) => (r.scenario === "slow" || r.scenario === "slow-busiest") && r.policy === "paxflow");
  const tp = slow.reduce((s, r) => s + r.report.predictedFailures.truePositive, 0);
  const fp = slow.reduce((s, r) => s + r.report.predictedFailures.falsePositive, 0);
  const fn = slow.reduce((s, r) => s + r.report.predictedFailures.falseNegative, 0);
  const leads = slow.flatMap((r) => r.episodes.map((e) => e.lead).filter((x): x is number => x !== null));
  const clean = runs.filter((r) => (r.scenario === "exact" || r.scenario === "noisy") && r.policy === "paxflow");
  const falseAlarms = clean.reduce((s, r) => s + r.report.predictedFailures.falsePositive, 0);
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const lead = mean(leads);
  const vsRoundRobin = meanOver(runs, "exact", (k) => 1 - span(k, "exact", "paxflow") / span(k, "exact", "round-robin"));
  return [
    { id: 1, target: "exact estimates: paxflow makespan within 5% of HEFT (mean ratio ≤ 1.05)", figure: `mean paxflow / HEFT = ${r3(exactVsHeft)}`, met: exactVsHeft <= 1.05 },
    { id: 2, target: "estimateNoise 0.5: paxflow beats HEFT planned on the noisy estimates (mean ratio < 1)", figure: `mean paxflow / HEFT = ${r3(noisyVsHeft)}; paxflow shorter in ${noisyWins}/${pairs}`, met: noisyVsHeft < 1 },
    { id: 3, target: "a node slowing 5× mid-run: paxflow within 15% of its fault-free run (mean ratio ≤ 1.15)", figure: `mean slow / fault-free = ${r3(slowVsClean)} (oracle ${r3(oracleVsClean)}); busiest node: ${r3(busiestVsClean)} (oracle ${r3(busiestOracle)})`, met: slowVsClean <= 1.15 },
    { id: 4, target: "crashes: every task completes (every policy, every run)", figure: `${crashOk}/${crashRuns.length} crash runs correct (${allOk}/${runs.length} runs overall)`, met: crashOk === crashRuns.length && allOk === runs.length },
    {
      id: 4,
      target: "slowing nodes flagged (both slow scenarios): precision ≥ 0.9, recall ≥ 0.9, positive mean lead",
      figure: `precision ${r2(precision)} (TP ${tp}, FP ${fp}), recall ${r2(recall)} (FN ${fn}), mean lead ${Number.isNaN(lead) ? "-" : `${r2(lead)} s`} over ${leads.length}; ${falseAlarms} false alarms in ${clean.length} fault-free runs`,
      met: precision >= 0.9 && recall >= 0.9 && leads.length > 0 && lead > 0,
    },
    { id: 5, target: "≥ 30% shorter makespan than round-robin (exact estimates, mean)", figure: `mean 1 − paxflow / round-robin = ${r3(vsRoundRobin)}`, met: vsRoundRobin >= 0.3 },
  ];
}

export function render(results: SimulateBenchResults): string {
  const { runs } = results;
  const get = index(runs);
  const out: string[] = [];
  for (const scenario of SCENARIOS) {
    const rows = VARIANTS.filter((v) => runs.some((r) => r.scenario === scenario && r.policy === v)).map((policy) => {
      const cells: (string | number)[] = [policy];
      for (const family of Object.keys(FAMILIES) as Family[]) {
        cells.push(r2(meanOver(runs, scenario, (k) => get(k, scenario, policy).report.makespan / get(k, scenario, "heft").report.makespan, family)));
      }
      cells.push(r2(meanOver(runs, scenario, (k) => get(k, scenario, policy).report.makespan / get(k, scenario, "heft").report.makespan)));
      cells.push(r2(meanOver(runs, scenario, (k) => get(k, scenario, policy).report.makespan / get(k, scenario, policy).report.lowerBound)));
      const mine = runs.filter((r) => r.scenario === scenario && r.policy === policy);
      cells.push(mine.reduce((s, r) => s + r.report.reexecuted, 0), mine.reduce((s, r) => s + r.report.speculative, 0));
      const p = mine.map((r) => r.report.predictedFailures);
      cells.push(`${p.reduce((s, x) => s + x.truePositive, 0)}/${p.reduce((s, x) => s + x.falsePositive, 0)}/${p.reduce((s, x) => s + x.falseNegative, 0)}`);
      const leads = mine.flatMap((r) => r.episodes.map((e) => e.lead).filter((x): x is number => x !== null));
      cells.push(leads.length === 0 ? "-" : r2(mean(leads)));
      cells.push(r2(mean(mine.map((r) => r.ms))));
      return cells;
    });
    out.push(`${scenario} (${new Set(runs.filter((r) => r.scenario === scenario).map(keyOf)).size} DAG × cluster × seed; makespan as a multiple of HEFT's in the same scenario):`);
    out.push(table(["policy", ...Object.keys(FAMILIES), "all / HEFT", "all / bound", "re-executed", "speculative", "TP/FP/FN", "lead s", "ms per run"], rows));
    out.push("");
  }
  out.push(table(["#", "target", "figure", "result"], results.targets.map((t) => [String(t.id), t.target, t.figure, t.met ? "met" : "MISSED"])));
  out.push("", `${runs.length} runs in ${(results.tookMs / 1000).toFixed(1)} s`);
  return out.join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { seeds: { type: "string", default: "10" }, out: { type: "string" }, json: { type: "boolean", default: false } } });
  const seeds = Number(values.seeds);
  if (!Number.isInteger(seeds) || seeds < 1) {
    console.error(`error: --seeds must be an integer >= 1, got "${values.seeds}"`);
    process.exit(2);
  }
  const { results, text, out } = benchSimulate({ seeds, out: values.out ?? defaultOut(), log: (line) => process.stderr.write(`${line}\n`) });
  console.log(values.json ? JSON.stringify(results.targets, null, 2) : text);
  console.error(`results written to ${out}`);
}

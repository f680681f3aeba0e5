import fs from "node:fs";
import { Command, Option } from "commander";
import { type Cluster, parseCluster } from "../../core/sim/dag/cluster.ts";
import { type Dag, SimInputError, parseDag } from "../../core/sim/dag/dag.ts";
import { dagFromSpec, isDagSpec } from "../../core/sim/dag/generate.ts";
import { POLICIES, type PolicyName } from "../../core/sim/dag/policies.ts";
import { type SimulationResult, simulate } from "../../core/sim/dag/simulate.ts";
import { intOption } from "../options.ts";
import { table } from "../table.ts";

interface SimulateFlags {
  dag: string;
  cluster: string;
  policy: PolicyName | "all";
  seed: number;
  tick: number;
  attempts?: boolean;
  json?: boolean;
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new SimInputError(`no such ${what} file: ${file}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SimInputError(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

/** Validation errors name the file they are about. */
function parsed<T>(file: string, what: string, parse: (raw: unknown) => T): T {
  const raw = readJson(file, what);
  try {
    return parse(raw);
  } catch (error) {
    if (error instanceof SimInputError) throw new SimInputError(`${file}: ${error.message}`);
    throw error;
  }
}

function load(flags: SimulateFlags): { dag: Dag; cluster: Cluster } {
  const dag = isDagSpec(flags.dag) ? dagFromSpec(flags.dag) : parsed(flags.dag, "DAG", parseDag);
  return { dag, cluster: parsed(flags.cluster, "cluster", parseCluster) };
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
const secs = (x: number | null) => (x === null ? "-" : `${x.toFixed(2)} s`);

function summary(dag: Dag, cluster: Cluster, seed: number, r: SimulationResult): string {
  const { report } = r;
  const p = report.predictedFailures;
  const lines = [
    `${dag.name} (${report.tasks} tasks) on ${report.nodes} nodes, policy ${report.policy}, seed ${seed}`,
    `makespan ${secs(report.makespan)}, lower bound ${secs(report.lowerBound)} (${(report.makespan / report.lowerBound).toFixed(2)}×)`,
    `re-executed ${report.reexecuted}, speculative backups ${report.speculative}, timeouts ${r.timeouts}, calls moved off suspect nodes ${r.drained}`,
    `failure prediction: ${p.truePositive} true positive, ${p.falsePositive} false positive, ${p.falseNegative} false negative, mean lead ${p.meanLeadSeconds === null ? "-" : `${p.meanLeadSeconds} s`}`,
  ];
  for (const e of r.episodes) {
    const flagged = e.flaggedAt === null ? "never flagged" : `flagged at ${secs(e.flaggedAt)}`;
    const visible = e.visibleAt === null ? "" : `, visible at ${secs(e.visibleAt)} (lead ${secs(e.lead)})`;
    lines.push(`  ${e.kind} of ${e.node} at ${secs(e.at)}${e.until === null ? "" : ` until ${secs(e.until)}`}: ${flagged}${visible}`);
  }
  lines.push(
    "",
    table(
      ["node", "speed", "slots", "caps", "utilization", "flagged"],
      cluster.nodes.map((n) => [n.id, n.speed, n.slots, n.caps.join(","), pct(report.utilization[n.id] ?? 0), (r.flags[n.id] ?? []).map(([a, b]) => `${a.toFixed(1)}-${b === null ? "end" : b.toFixed(1)}`).join(" ") || "-"]),
    ),
  );
  return lines.join("\n");
}

function comparison(results: readonly SimulationResult[]): string {
  return table(
    ["policy", "makespan s", "× lower bound", "re-executed", "speculative", "TP", "FP", "FN", "lead s"],
    results.map(({ report: r }) => [
      r.policy,
      r.makespan,
      Number((r.makespan / r.lowerBound).toFixed(2)),
      r.reexecuted,
      r.speculative,
      r.predictedFailures.truePositive,
      r.predictedFailures.falsePositive,
      r.predictedFailures.falseNegative,
      r.predictedFailures.meanLeadSeconds === null ? "-" : r.predictedFailures.meanLeadSeconds,
    ]),
  );
}

export const simulateCommand = new Command("simulate")
  .description("discrete-event simulation of a DAG on a simulated cluster (speeds, network, estimate noise, faults), driving the real scheduler or a baseline")
  .requiredOption("--dag <file|generator>", "DAG JSON file, or a generator: chain:length=12 | fork-join:width=8,stages=2 | random:layers=6,width=8 (each also takes seed=, simd=, minRuntime=, maxRuntime=, minBytes=, maxBytes=)")
  .requiredOption("--cluster <file>", "cluster JSON file: nodes, network, estimateNoise, faults")
  .addOption(new Option("--policy <name>", "scheduling policy, or all to compare them").choices([...POLICIES, "all"]).default("paxflow"))
  .option("--seed <s>", "seed of the estimate noise, heartbeat jitter and the policies' randomness", intOption(0, 2 ** 32 - 1), 1)
  .option("--tick <ms>", "how often the report samples the scheduler's suspicions for its flags (simulated ms; the plane looks when the job core asks)", intOption(1, 60_000), 100)
  .option("--attempts", "also print every attempt and fault episode (JSON: extra keys attempts, episodes)")
  .option("--json", "print the report as JSON")
  .addHelpText(
    "after",
    [
      "",
      "Policies: paxflow (the LearningScheduler), paxflow-static (placement.ts without learning), round-robin, random, least-loaded, heft (offline HEFT plan).",
      "Exit status: 0 done, 1 a bad flag, 2 a bad DAG, cluster or generator (the message names the file, task and field).",
      "",
      "Examples:",
      "  npx paxflow simulate --dag examples/dags/random-l6-w8-s3.json --cluster examples/clusters/hetero-8-slow.json --json",
      "  npx paxflow simulate --dag random:layers=6,width=8,seed=3 --cluster examples/clusters/hetero-8-noisy.json --policy all",
    ].join("\n"),
  )
  .action((flags: SimulateFlags) => {
    let dag: Dag;
    let cluster: Cluster;
    const policies: readonly PolicyName[] = flags.policy === "all" ? POLICIES : [flags.policy];
    const results: SimulationResult[] = [];
    try {
      ({ dag, cluster } = load(flags));
      for (const policy of policies) results.push(simulate(dag, cluster, { policy, seed: flags.seed, tickMs: flags.tick }));
    } catch (error) {
      if (!(error instanceof SimInputError)) throw error;
      console.error(`error: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    const out = (r: SimulationResult) => (flags.attempts ? { ...r.report, attempts: r.attempts, episodes: r.episodes } : r.report);
    if (flags.json) {
      console.log(JSON.stringify(flags.policy === "all" ? results.map(out) : out(results[0]!), null, 2));
      return;
    }
    if (flags.policy === "all") {
      console.log(`${dag.name} (${dag.tasks.length} tasks) on ${cluster.nodes.length} nodes, seed ${flags.seed}\n`);
      console.log(comparison(results));
    } else {
      console.log(summary(dag, cluster, flags.seed, results[0]!));
    }
    if (flags.attempts) {
      for (const r of results) {
        console.log(`\n${r.report.policy}:`);
        console.log(
          table(
            ["attempt", "node", "cause", "sent s", "started s", "ended s", "end"],
            r.attempts.map((a) => [a.key, a.node, a.cause, a.dispatchedAt.toFixed(2), a.startedAt === null ? "-" : a.startedAt.toFixed(2), a.endedAt === null ? "-" : a.endedAt.toFixed(2), a.end ?? "-"]),
          ),
        );
      }
    }
  });

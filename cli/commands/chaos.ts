import { Command } from "commander";
import { type ChaosReport, runChaos } from "../../chaos/run.ts";
import { intOption } from "../options.ts";
import { table } from "../table.ts";

interface ChaosFlags {
  jobs: number;
  seed: number;
  durationS?: number;
  gpu: boolean;
  json?: boolean;
  registry: string;
  entry?: string;
}

function summary(r: ChaosReport): string {
  const rows: [string, string | number][] = [
    ["jobs submitted", r.jobs.submitted],
    ["jobs accepted", r.jobs.accepted],
    ["refused (4xx)", r.jobs.refused],
    ["finished correctly", r.jobs.finishedCorrectly],
    ["finished wrongly", r.jobs.finishedWrongly],
    ["lost (accepted, never terminal)", r.jobs.lost],
    ["calls re-dispatched", r.calls.redispatched],
    ["attempts timed out", r.calls.timeouts],
    ["results offered twice and dropped: other attempts", r.calls.duplicateResultsDropped],
    ["results sent twice by a runner / second one dropped", `${r.calls.reportsSentTwice} / ${r.calls.repeatedReportsDropped}`],
    ["results after their job ended, dropped", r.calls.lateResultsDropped],
    ["log slots seen / compared across learners", `${r.log.slotsSeen} / ${r.log.slotsCompared}`],
    ["slots with two values", r.log.conflicts],
    ["learners' applied digests agree", r.log.digests.map((d) => `shard ${d.shard}: ${d.agree ? "yes" : "NO"} (${d.appliedThrough.join(", ")})`).join("; ")],
  ];
  const faults = r.faults.map((f) => [`t+${(f.at / 1000).toFixed(1)} s`, f.fault, f.ok ? `done${f.note ? `: ${f.note}` : ""}` : `not done: ${f.note ?? ""}`] as const);
  return [
    `chaos run, seed ${r.seed}, ${(r.durationMs / 1000).toFixed(0)} s: ${r.pass ? "PASS" : "FAIL"}`,
    "",
    table(["", "count"], rows),
    "",
    table(["when", "fault", ""], faults),
    ...(r.jobs.wrong.length ? ["", "wrong:", ...r.jobs.wrong.map((w) => `  ${w.id} (${w.name}): expected ${JSON.stringify(w.expected)}, saw ${JSON.stringify(w.seen)}`)] : []),
    ...(r.jobs.lostIds.length ? ["", `lost: ${r.jobs.lostIds.join(", ")}`] : []),
  ].join("\n");
}

export const chaosCommand = new Command("chaos")
  .description("run jobs on the real local cluster while killing runners, acceptors, commanders and workerd on a seeded schedule; check that no job is lost or wrong and the log has one value per slot")
  .requiredOption("--registry <path>", "module exporting the registry with the workload's jobs (test shapes and examples: test/shared/registry.ts)")
  .option("--entry <path>", "the Worker entry over that registry (test/worker.ts); default: wrangler.toml's main")
  .option("--jobs <n>", "jobs in the workload", intOption(1, 100_000), 500)
  .option("--seed <s>", "seed of the workload and of the fault schedule", intOption(0, 2 ** 32 - 1), 1)
  .option("--duration-s <n>", "how long jobs are submitted and faults injected (default: max(40, jobs / 5))", intOption(5, 86_400))
  .option("--no-gpu", "leave out the gpu-runner and SIMD jobs")
  .option("--json", "print the report as JSON")
  .addHelpText(
    "after",
    [
      "",
      "Faults: runners SIGKILLed mid-call and restarted, a runner that never answers, one that answers every result twice, one",
      "that answers very late, one then two of a shard's three acceptors down, commanders aborted, workerd SIGKILLed and",
      "restarted on its persisted state, slow links between the plane and runners. Exit status 0 when nothing was wrong or",
      "lost and every learner agrees on every slot, 1 otherwise.",
      "",
      "Examples:",
      "  npm run chaos",
      "  npx paxflow chaos --entry test/worker.ts --registry test/shared/registry.ts --jobs 50 --seed 7 --json",
    ].join("\n"),
  )
  .action(async (flags: ChaosFlags) => {
    const report = await runChaos({
      app: { registry: flags.registry, ...(flags.entry === undefined ? {} : { entry: flags.entry }) },
      jobs: flags.jobs,
      seed: flags.seed,
      gpu: flags.gpu,
      ...(flags.durationS === undefined ? {} : { durationMs: flags.durationS * 1000 }),
      progress: (line) => console.error(line),
    });
    console.log(flags.json ? JSON.stringify(report, null, 2) : summary(report));
    if (!report.pass) process.exitCode = 1;
  });

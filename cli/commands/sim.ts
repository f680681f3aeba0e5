import { Command, Option } from "commander";
import { simulateConsensus } from "../../core/sim/consensus.ts";
import { VARIANTS } from "../../core/sim/variants.ts";
import { DEFAULT_JOB_SIM_OPTIONS, type JobSimReport, replayCommand, simulateJobs } from "../../runtime/sim/job-sim.ts";
import { BROKEN_PLANES, JOB_VARIANTS } from "../../runtime/sim/job-variants.ts";
import { intOption } from "../options.ts";
import { table } from "../table.ts";

interface ConsensusSimFlags {
  schedules: number;
  seed: number;
  steps: number;
  acceptors: number;
  proposers: number;
  phase1Quorum?: number;
  phase2Quorum?: number;
  alpha: number;
  variant: string;
  json?: boolean;
}

const consensus = new Command("consensus")
  .description("run seeded fault schedules against the real consensus core and check its safety invariants after every step")
  .option("--schedules <n>", "number of schedules (seeds seed, seed+1, ...)", intOption(1), 2000)
  .option("--seed <s>", "first seed", intOption(0, 2 ** 32 - 1), 1)
  .option("--steps <n>", "scheduler actions per schedule", intOption(1), 400)
  .option("--acceptors <n>", "acceptors in the bootstrap configuration", intOption(1, 15), 3)
  .option("--proposers <n>", "competing commanders", intOption(1, 15), 3)
  .option("--phase1-quorum <n>", "phase-1 quorum size (default: majority)", intOption(1, 15))
  .option("--phase2-quorum <n>", "phase-2 quorum size (default: majority)", intOption(1, 15))
  .option("--alpha <n>", "pipeline depth / membership-change delay", intOption(1, 1024), 4)
  .addOption(new Option("--variant <name>", "protocol variant; the broken ones show the checker finds bugs").choices(Object.keys(VARIANTS)).default("correct"))
  .option("--json", "print the report as JSON")
  .addHelpText("after", "\nExamples:\n  npx paxflow sim consensus --schedules 2000 --seed 1 --json\n  npx paxflow sim consensus --variant accepts-lower-ballot --schedules 200")
  .action((flags: ConsensusSimFlags) => {
    const started = performance.now();
    const step = Math.max(1, Math.floor(flags.schedules / 10));
    const report = simulateConsensus(
      flags.schedules,
      flags.seed,
      {
        steps: flags.steps,
        acceptors: flags.acceptors,
        proposers: flags.proposers,
        phase1Quorum: flags.phase1Quorum,
        phase2Quorum: flags.phase2Quorum,
        alpha: flags.alpha,
        variant: VARIANTS[flags.variant]!,
      },
      (done) => {
        if (process.stderr.isTTY && (done % step === 0 || done === flags.schedules)) {
          process.stderr.write(`\rsimulated ${done}/${flags.schedules} schedules`);
        }
      },
    );
    if (process.stderr.isTTY) process.stderr.write("\n");
    const seconds = (performance.now() - started) / 1000;
    if (flags.json) {
      console.log(JSON.stringify({ ...report, seconds: Number(seconds.toFixed(2)) }, null, 2));
    } else {
      console.log(
        table(
          ["variant", "schedules", "steps", "slots chosen", "membership changes", "violations", "seconds"],
          [[report.variant, report.schedules, report.totalSteps, report.slotsChosen, report.membershipChanges, report.violations.length, Number(seconds.toFixed(1))]],
        ),
      );
      const shape = [
        `--steps ${flags.steps} --acceptors ${flags.acceptors} --proposers ${flags.proposers} --alpha ${flags.alpha}`,
        flags.phase1Quorum ? ` --phase1-quorum ${flags.phase1Quorum}` : "",
        flags.phase2Quorum ? ` --phase2-quorum ${flags.phase2Quorum}` : "",
      ].join("");
      for (const v of report.violations.slice(0, 5)) {
        console.log(`violation ${v.invariant} at slot ${v.slot}, step ${v.step}: ${v.detail}`);
        console.log(`  reproduce: npx paxflow sim consensus --variant ${report.variant} --seed ${v.seed} --schedules 1 ${shape}`);
      }
    }
    process.exitCode = report.violations.length > 0 ? 1 : 0;
  });

interface JobsSimFlags {
  seeds: number;
  seed: number;
  steps: number;
  variant: string;
  json?: boolean;
}

/** Sums the counters of several reports (the broken planes, run one after the other). */
const faultRows = (reports: readonly JobSimReport[]): (string | number)[][] => {
  const kinds = [...new Set(reports.flatMap((r) => Object.keys(r.faults)))].sort();
  return kinds.map((kind) => [kind, reports.reduce((n, r) => n + (r.faults[kind] ?? 0), 0)]);
};

const jobs = new Command("jobs")
  .description("run seeded fault schedules against the real job plane (commanders, acceptors, runners on a virtual clock) and check its invariants after every step")
  .option("--seeds <n>", "number of seeds (seed, seed+1, ...)", intOption(1), 2000)
  .option("--seed <s>", "first seed", intOption(0, 2 ** 32 - 1), 1)
  .option("--steps <n>", "scheduler actions per seed while faults are on", intOption(1, 10_000), DEFAULT_JOB_SIM_OPTIONS.steps)
  .addOption(
    new Option("--variant <name>", "job plane variant; the broken ones show the checker finds bugs (all: every broken one, until each is caught)")
      .choices([...Object.keys(JOB_VARIANTS), "all"])
      .default("correct"),
  )
  .option("--json", "print the reports as JSON")
  .addHelpText(
    "after",
    "\nExamples:\n  npx paxflow sim jobs --seeds 2000\n  npx paxflow sim jobs --seeds 1 --seed 21 --variant correct\n  npx paxflow sim jobs --variant all --seeds 500",
  )
  .action(async (flags: JobsSimFlags) => {
    const started = performance.now();
    const variants = flags.variant === "all" ? BROKEN_PLANES : [JOB_VARIANTS[flags.variant]!];
    const reports: JobSimReport[] = [];
    for (const variant of variants) {
      const step = Math.max(1, Math.floor(flags.seeds / 20));
      const report = await simulateJobs(
        flags.seeds,
        flags.seed,
        { steps: flags.steps, variant },
        {
          onProgress: (done) => {
            if (process.stderr.isTTY && (done % step === 0 || done === flags.seeds)) process.stderr.write(`\r${variant.name}: simulated ${done}/${flags.seeds} seeds`);
          },
          // A broken plane needs catching once; a correct one runs every seed.
          stopAtFirst: variant.broken !== undefined || variant.dedupeWindow !== undefined,
        },
      );
      if (process.stderr.isTTY) process.stderr.write("\n");
      reports.push(report);
    }
    const seconds = (performance.now() - started) / 1000;
    if (flags.json) {
      console.log(JSON.stringify({ reports, seconds: Number(seconds.toFixed(2)) }, null, 2));
    } else {
      const seedsRun = reports.reduce((n, r) => n + r.seeds, 0);
      console.log(
        table(
          ["variant", "seeds run", "jobs", "jobs completed", "decisions", "invariant violations", "first seed caught", "seconds"],
          reports.map((r) => [r.variant, r.seeds, r.jobs, r.jobsDone, r.decisions, r.violations.length, r.violations[0]?.seed ?? "-", Number(((seconds * r.seeds) / seedsRun).toFixed(1))]),
        ),
      );
      console.log();
      console.log(table(["fault injected, or event", "count"], faultRows(reports)));
      for (const r of reports) {
        for (const v of r.violations.slice(0, 5)) {
          console.log(`\n${r.variant}: ${v.invariant} at seed ${v.seed}, step ${v.step}: ${v.detail}`);
          console.log(`  replay: ${replayCommand(v, r.variant, flags.steps)}`);
        }
      }
    }
    // As sim consensus: any violation exits 1 (a broken plane is expected to).
    process.exitCode = reports.some((r) => r.violations.length > 0) ? 1 : 0;
  });

export const simCommand = new Command("sim")
  .description("deterministic simulation")
  .addCommand(consensus)
  .addCommand(jobs)
  .addHelpText("after", "\nExamples:\n  npx paxflow sim consensus --schedules 2000 --seed 1 --json\n  npx paxflow sim jobs --seeds 2000\n  npx paxflow sim jobs --variant all --seeds 200");

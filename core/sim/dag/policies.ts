/**
 * The policies `paxflow simulate` compares. Every one is the LearningScheduler of the same
 * simulated plane (the product's job core, plane.ts); they differ in where calls go, whether
 * they advise backups (`stragglers()`: only paxflow's does), and whether they plan ahead:
 *
 * | policy | placement | speculation | failure detection |
 * | --- | --- | --- | --- |
 * | paxflow | the LearningScheduler (core/sched), placement.ts underneath | its stragglers() | its suspicions() (phi accrual, isolation forest) |
 * | paxflow-static | placement.ts `place` with declared runtimes (the ablation: paxflow without learning) | none | heartbeat silence |
 * | round-robin, random, least-loaded | see baselines.ts | none | heartbeat silence |
 * | heft | the offline HEFT plan (heft.ts), sent out at time 0 | none | heartbeat silence |
 */
import { createLearningScheduler } from "../../sched/learning-scheduler.ts";
import type { LearningScheduler } from "../../sched/scheduler.ts";
import { HeftScheduler, LeastLoadedScheduler, RandomScheduler, RoundRobinScheduler } from "./baselines.ts";
import type { Cluster } from "./cluster.ts";
import type { Dag } from "./dag.ts";
import { type HeftPlan, heftPlan } from "./heft.ts";
import { createStaticScheduler } from "./static-scheduler.ts";

export const POLICIES = ["paxflow", "paxflow-static", "round-robin", "random", "least-loaded", "heft"] as const;
export type PolicyName = (typeof POLICIES)[number];

export interface Policy {
  readonly name: PolicyName;
  readonly scheduler: LearningScheduler;
  /** A static plan: every task is sent to its planned slot at time 0. */
  readonly plan?: HeftPlan;
}

export interface PolicyContext {
  readonly dag: Dag;
  readonly cluster: Cluster;
  /** Seed for the policy's own randomness (the random baseline, the scheduler's forest). */
  readonly seed: number;
  readonly heartbeatMs: number;
  /** Stage ref -> task id. */
  readonly taskOf: (ref: string) => string;
}

export function createPolicy(name: PolicyName, ctx: PolicyContext): Policy {
  const tracking = { heartbeatMs: ctx.heartbeatMs };
  switch (name) {
    case "paxflow":
      return { name, scheduler: createPaxflowScheduler(ctx) };
    case "paxflow-static":
      return { name, scheduler: createStaticScheduler(tracking) };
    case "round-robin":
      return { name, scheduler: new RoundRobinScheduler(tracking) };
    case "random":
      return { name, scheduler: new RandomScheduler(ctx.seed, tracking) };
    case "least-loaded":
      return { name, scheduler: new LeastLoadedScheduler(tracking) };
    case "heft": {
      const plan = heftPlan(ctx.dag, ctx.cluster);
      return { name, scheduler: new HeftScheduler(plan, ctx.taskOf, tracking), plan };
    }
  }
}

/** The scheduler the `paxflow` policy runs: the production LearningScheduler, seeded, told the heartbeat period. */
function createPaxflowScheduler(ctx: PolicyContext): LearningScheduler {
  return createLearningScheduler({ anomaly: { seed: ctx.seed }, heartbeat: { firstIntervalEstimateMs: ctx.heartbeatMs } });
}

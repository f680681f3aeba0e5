/** `paxflow simulate`: DAGs, clusters, generators, policies and the discrete-event simulator. */
export { type Dag, type DagInput, type DagTask, SimInputError, findCycle, parseDag, taskCaps, topologicalOrder } from "./dag.ts";
export { type Cluster, type ClusterNode, type Fault, type FaultKind, type Network, checkRunnable, nodeSpec, parseCluster } from "./cluster.ts";
export { type ShapeOptions, chainDag, dagFromSpec, forkJoinDag, isDagSpec, layeredDag } from "./generate.ts";
export { type HeftAssignment, type HeftPlan, heftPlan } from "./heft.ts";
export { POLICIES, type Policy, type PolicyName, createPolicy } from "./policies.ts";
export { createStaticScheduler } from "./static-scheduler.ts";
export {
  type AttemptRecord,
  type FailurePrediction,
  type FaultEpisode,
  type SimulateOptions,
  type SimulationReport,
  type SimulationResult,
  lowerBoundMs,
  noiseFactors,
  simulate,
} from "./simulate.ts";
export { verifyRun } from "./verify.ts";

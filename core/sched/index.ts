/**
 * The learning scheduler and the models it is made of. The commander and the simulator need
 * only `createLearningScheduler` and the interface in scheduler.ts; the models are exported for
 * tests, benchmarks and anyone who wants one of them alone.
 */
export type * from "./scheduler.ts";
export { createLearningScheduler, type LearningSchedulerInternals } from "./learning-scheduler.ts";
export { type LearningSchedulerOptions, type SpeculationOptions, SCHEDULER_DEFAULTS } from "./options.ts";
export { Ewma, DecayingSum, alphaForHalfLife } from "./ewma.ts";
export { HeartbeatDetector, ProgressDetector, phiNormal, type HeartbeatDetectorOptions, type ProgressDetectorOptions } from "./phi.ts";
export { RuntimeModel, type RuntimeModelOptions } from "./runtime-model.ts";
export { LinkModel, NodeStatsTracker, type LinkModelOptions } from "./node-stats.ts";
export { LoadForecaster, RecursiveLeastSquares, erlangCWaitMs, slotsFor, recommendedRunners, type LoadForecastOptions } from "./forecast.ts";
export { IsolationForest, averagePathLength, type IsolationForestOptions } from "./isolation-forest.ts";
export { AnomalyMonitor, FEATURES, ANOMALY_DEFAULTS, type AnomalyOptions } from "./anomaly.ts";

/**
 * Every knob of the learning scheduler, with its default. Sub-options of the models are
 * documented where they are used (phi.ts, runtime-model.ts, node-stats.ts, anomaly.ts,
 * forecast.ts); this file only gathers them.
 */
import type { AnomalyOptions } from "./anomaly.ts";
import type { LoadForecastOptions } from "./forecast.ts";
import type { LinkModelOptions } from "./node-stats.ts";
import type { HeartbeatDetectorOptions, ProgressDetectorOptions } from "./phi.ts";
import type { RuntimeModelOptions } from "./runtime-model.ts";
import type { SpeedProbeOptions } from "./speed-probe.ts";

export interface SpeculationOptions {
  /** An attempt is late past max(lateFactor × its predicted run, its predicted run × e^(sigmas·σ)),
   * σ the learned spread of log(observed / predicted) for its stage on its node: the run time
   * that only about 0.1% of calls exceed when sigmas = 3. Defaults 2 and 3. */
  readonly lateFactor?: number;
  readonly sigmas?: number;
  /** Speculative work (predicted run ms of backups) at most this fraction of all dispatched work. Default 0.1. */
  readonly maxFraction?: number;
  /** Half-life of the work sums that cap compares, so the budget reflects recent work. Default 600,000 ms. */
  readonly windowMs?: number;
  /** Backups of calls on a node judged failed or suspect are recovery rather than speculation:
   * with this they are not held to `maxFraction` (they still count towards it). Default true. */
  readonly uncappedRecovery?: boolean;
}

export interface LearningSchedulerOptions {
  /** The commander runs a call itself only when its predicted runtime is at most this (wrangler.toml INLINE_MAX_MS). Default 2 ms. */
  readonly inlineMaxMs?: number;
  /** phi at or above which a node is failed (gets no new work). Default 8 (Cassandra's phi_convict_threshold). */
  readonly phiThreshold?: number;
  /** A node is suspect when its anomaly score passes `anomaly.threshold` and its runtime degraded:
   * its node-wide runtime scale is at least this many times its own long-run baseline (its
   * declaration while it has run fewer than 10 calls; a lower confidence bound, see
   * runtime-model.ts `confidentDegradation`), or its running calls are late beyond chance (below).
   * Default 2. */
  readonly suspectDegradation?: number;
  /** Running calls count as evidence that a node degraded when they are late beyond chance:
   * the sum over its late running calls of -log10 P(this late | the learned spread) reaches
   * `latenessPhi` + log10(1 + calls the node completed) (a node watched over many calls has had
   * many chances of a false alarm), even the least late of them has held its slot
   * `latenessFactor` times its expected transfer + run, and the node has completed nothing for
   * `latenessFactor` times the gap it was expected to take. This catches a slow-down before any
   * slowed call completes. Defaults 3 and 1.3. */
  readonly latenessPhi?: number;
  readonly latenessFactor?: number;
  /** A suspect stays suspect this long after the last moment the evidence held: it gets no work,
   * so nothing new can clear it; when the hold ends it is tried again (and flagged again at once
   * if still slow). Default 30,000 ms. */
  readonly suspectHoldMs?: number;
  /** A suspect is released only when its anomaly score falls this far below the threshold (or its runtime recovers). Default 0.1. */
  readonly suspectHysteresis?: number;
  /** A learned factor is named in a placement's reason when it is at least this far from the
   * declared one (ratio, either way) and the learned figures changed the winner. Default 1.2. */
  readonly namedFactor?: number;
  /** EW weight of error and timeout rates, per call. Default 0.1. */
  readonly rateAlpha?: number;
  /** Target mean queueing delay for `forecast().recommendedRunners`. Default 100 ms. */
  readonly targetWaitMs?: number;
  readonly heartbeat?: HeartbeatDetectorOptions;
  readonly progress?: ProgressDetectorOptions;
  /** Heartbeats' speed probes (speed-probe.ts): a probe `suspectDegradation` times its baseline or more is evidence of a node-wide slow-down. */
  readonly probe?: SpeedProbeOptions;
  readonly runtime?: RuntimeModelOptions;
  readonly link?: LinkModelOptions;
  readonly anomaly?: AnomalyOptions;
  readonly speculation?: SpeculationOptions;
  readonly forecast?: LoadForecastOptions;
}

export const SCHEDULER_DEFAULTS = {
  inlineMaxMs: 2,
  phiThreshold: 8,
  suspectDegradation: 2,
  suspectHysteresis: 0.1,
  suspectHoldMs: 30_000,
  latenessPhi: 3,
  latenessFactor: 1.3,
  namedFactor: 1.2,
  rateAlpha: 0.1,
  targetWaitMs: 100,
  speculation: { lateFactor: 2, sigmas: 3, maxFraction: 0.1, windowMs: 600_000, uncappedRecovery: true },
} as const;

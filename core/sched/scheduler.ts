/**
 * The learning scheduler's interface: one pure, stateful object that the commander feeds with
 * what it observes (from applied log decisions and heartbeats) and asks where calls should go,
 * which calls deserve a speculative backup, and which nodes look like failing. The simulator
 * (`paxflow simulate`) drives the very same object with a simulated clock, so what the
 * benchmarks measure is the code that runs in production.
 *
 * Time is always passed in (ms); nothing here reads a clock, draws randomness without a seed,
 * or does I/O.
 */
import type { NodeOut } from "./node-stats.ts";
import type { Candidate, NodeId, NodeLoad, NodeSpec } from "../jobs/decisions.ts";
import type { InputOn, Placement, PlacementRequest } from "../jobs/placement.ts";

/** A call the scheduler is told about, by a key unique per attempt (e.g. "job/seq/attempt"). */
export interface ObservedDispatch {
  readonly key: string;
  /** Identifies the call across attempts (e.g. "job/seq"): backups of one call share it. */
  readonly call: string;
  readonly stage: PlacementRequest["stage"];
  readonly inputBytes: number;
  readonly node: NodeId;
  readonly predicted: Candidate;
  readonly at: number;
  /** A speculative backup of another attempt of the same call. */
  readonly speculative?: boolean;
  /** Input bytes already on nodes (the placement request's inputOn): not moved to them. Default: all moved. */
  readonly inputOn?: InputOn;
}

export interface ObservedCompletion {
  readonly key: string;
  readonly ok: boolean;
  /** When the node started and finished running it (its own report, or the simulator's truth). */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly outputBytes: number;
  /** When the plane had the result (finishedAt + transfer back). */
  readonly at: number;
}

export interface SpeculationAdvice {
  /** The attempt running late. */
  readonly key: string;
  readonly call: string;
  readonly backup: Candidate;
  readonly reason: string;
}

export interface NodeSuspicion {
  readonly node: NodeId;
  /** Phi-accrual suspicion from heartbeats and completions (>= threshold: treat as failed). */
  readonly phi: number;
  /** Anomaly score in [0, 1] from the isolation forest over the node's metric vector (about 0.5: nothing stands out; anomalous past the threshold, 0.6 by default). */
  readonly anomaly: number;
  readonly verdict: "healthy" | "suspect" | "failed";
  readonly reason: string;
  /** When the current verdict began (absent while healthy). */
  readonly since?: number;
  /** The first time the node was ever judged suspect / failed (for the lead time of a prediction). */
  readonly firstSuspectAt?: number;
  readonly firstFailedAt?: number;
}

export interface LoadForecast {
  /** Predicted requests (calls dispatched) in the next interval, and the fitted Load(t) = a + b·R(t-1) + c·R(t-2). */
  readonly next: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly intervalMs: number;
  /** Runners needed so predicted queue wait stays under the target, from the forecast. */
  readonly recommendedRunners: number;
}

export interface NodeStats {
  readonly node: NodeId;
  readonly rttMs: number | null;
  readonly bandwidthMBps: number | null;
  readonly queue: number;
  readonly inFlight: number;
  readonly errorRate: number;
  readonly timeoutRate: number;
  readonly heartbeatIntervalMs: number | null;
  /** Learned runtime scale per stage ref: observed / declared-at-node-speed (1 = as predicted). */
  readonly runtimeScale: Readonly<Record<string, number>>;
  /** The node-wide part of that scale (what a stage it has not run yet is predicted with). */
  readonly nodeScale?: number;
  /** Completed calls the runtime model learned from. */
  readonly observations?: number;
  /** Its speed probes now against their baseline (speed-probe.ts; 1 until it has reported enough of them). */
  readonly probeSlowdown?: number;
}

export interface LearningScheduler {
  nodeUp(spec: NodeSpec, now: number): void;
  /** The node is out: unresponsive (may come back; a call no live node takes may still go there) or quarantined (never placed on). */
  nodeDown(node: NodeId, now: number, why: NodeOut): void;
  /** The node left the cluster (deleted, or expired): forget everything learned about it. */
  nodeRemoved(node: NodeId, now: number): void;
  heartbeat(node: NodeId, load: NodeLoad, now: number): void;
  dispatched(d: ObservedDispatch): void;
  completed(c: ObservedCompletion): void;
  timedOut(key: string, now: number): void;
  /** An attempt that will never be reported (cancelled once another attempt of its call won): stop counting it as work on its node. */
  abandoned?(key: string, now: number): void;
  /** Where a ready call should run: like core/jobs/placement.ts `place`, with learned speeds and node health. */
  place(request: Omit<PlacementRequest, "inlineMaxMs">): Placement;
  /** Attempts running far past their prediction whose backup would likely finish first (within the extra-work cap). */
  stragglers(now: number): SpeculationAdvice[];
  /** Every known node's health. */
  suspicions(now: number): NodeSuspicion[];
  forecast(now: number): LoadForecast;
  stats(now: number): NodeStats[];
}

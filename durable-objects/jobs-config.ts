import { DEFAULT_INLINE_PAYLOAD_BYTES } from "../core/jobs/payload.ts";
import { DEFAULT_RETAIN_FINISHED } from "../core/jobs/state.ts";
import { INLINE_NODE, type NodeSpec, WORKER_NODE } from "../core/jobs/decisions.ts";
import type { Env } from "./env.ts";
import { integer } from "./shard-config.ts";

/** The job side of the [vars], checked once, each error naming its variable. */
export interface JobsConfig {
  readonly inlinePayloadBytes: number;
  readonly inlineMaxMs: number;
  readonly workerLatencyMs: number;
  readonly retainJobs: number;
}

export function parseJobsConfig(env: Env): JobsConfig {
  return {
    inlinePayloadBytes: integer("INLINE_PAYLOAD_BYTES", env.INLINE_PAYLOAD_BYTES, 0, DEFAULT_INLINE_PAYLOAD_BYTES),
    inlineMaxMs: integer("INLINE_MAX_MS", env.INLINE_MAX_MS, 0, 2),
    workerLatencyMs: integer("WORKER_LATENCY_MS", env.WORKER_LATENCY_MS, 0, 1),
    retainJobs: integer("RETAIN_JOBS", env.RETAIN_JOBS, 1, DEFAULT_RETAIN_FINISHED),
  };
}

/** The backends every shard has: the commander itself, and the stage Worker. */
export function builtinNodes(config: JobsConfig): NodeSpec[] {
  return [
    { id: INLINE_NODE, kind: "inline", caps: ["cpu"], speed: { cpu: 1 }, slots: 1, latencyMs: 0, bandwidthMBps: 1_000 },
    // A service binding stays in the same process or colo: latency is the call overhead, and
    // a Worker invocation can run many calls at once.
    { id: WORKER_NODE, kind: "worker", caps: ["cpu"], speed: { cpu: 1 }, slots: 1_000, latencyMs: config.workerLatencyMs / 2, bandwidthMBps: 100 },
  ];
}

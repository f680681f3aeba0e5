import { INLINE_NODE, type NodeSpec, WORKER_NODE } from "./decisions.ts";

/**
 * The backends every shard has without registration: the commander itself, and the stage
 * Worker. Both run stages with their CPU implementation, so they take SIMD stages too (through
 * the CPU reference): whether a gpu-runner beats them is the placement model's call.
 */
export function builtinNodes(workerLatencyMs: number): NodeSpec[] {
  return [
    { id: INLINE_NODE, kind: "inline", caps: ["cpu", "simd"], speed: { cpu: 1 }, slots: 1, latencyMs: 0, bandwidthMBps: 1_000 },
    // A service binding stays in the same process or colo: latency is the call overhead, and
    // a Worker invocation can run many calls at once.
    { id: WORKER_NODE, kind: "worker", caps: ["cpu", "simd"], speed: { cpu: 1 }, slots: 1_000, latencyMs: workerLatencyMs / 2, bandwidthMBps: 100 },
  ];
}

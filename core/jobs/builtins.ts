import { INLINE_NODE, type NodeSpec, WORKER_NODE } from "./decisions.ts";

/**
 * The backends every shard has without registration: the commander itself, and the stage
 * Worker. Both run stages with their CPU implementation, so they take SIMD stages too (through
 * the CPU reference): whether a gpu-runner beats them is the placement model's call.
 */
/**
 * Calls the stage Worker takes at once by default (WORKER_SLOTS). Deployed, each call is an
 * invocation of its own, in an isolate of its own: many run at once. Local workerd runs every
 * isolate on one thread, the API's and the commanders' too; WORKER_SLOTS=1 there tells the
 * placement model so (README, Known limits: not yet the default of `paxflow dev`).
 */
export const DEFAULT_WORKER_SLOTS = 1_000;

export function builtinNodes(workerLatencyMs: number, workerSlots = DEFAULT_WORKER_SLOTS): NodeSpec[] {
  return [
    { id: INLINE_NODE, kind: "inline", caps: ["cpu", "simd"], speed: { cpu: 1 }, slots: 1, latencyMs: 0, bandwidthMBps: 1_000 },
    // A service binding stays in the same process or colo: latency is the call overhead.
    { id: WORKER_NODE, kind: "worker", caps: ["cpu", "simd"], speed: { cpu: 1 }, slots: workerSlots, latencyMs: workerLatencyMs / 2, bandwidthMBps: 100 },
  ];
}

/**
 * The scheduler meets this machine's real adapter: the gpu-runner's start-up calibration (kernel
 * vs CPU reference, measured here) is the speed profile placement uses. On a software adapter
 * (Mesa on the CPU) the kernels are slower than plain JS for most stages, and the scheduler must
 * route those SIMD calls to CPU backends; on a real GPU a large matrix multiply must go to the
 * GPU. test/core/placement-hardware.test.ts makes the same decision with a hypothetical fast-GPU
 * profile (a named test input).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Value, encodedSize } from "../../core/codec.ts";
import { builtinNodes } from "../../core/jobs/builtins.ts";
import type { NodeSpec } from "../../core/jobs/decisions.ts";
import { type PlacementNode, place } from "../../core/jobs/placement.ts";
import { type Calibration, calibrate } from "../../gpu-runners/calibrate.ts";
import type { Gpu } from "../../gpu-runners/device.ts";
import { GpuExecutor } from "../../gpu-runners/executor.ts";
import { capsOf } from "../../gpu-runners/start.ts";
import { STAGES, openGpu } from "./support.ts";

let gpu: Gpu;
let calibration: Calibration;
let nodes: PlacementNode[];

const cpuRunner: NodeSpec = { id: "cpu-1", kind: "runner", url: "http://127.0.0.1:9", caps: ["cpu", "simd"], speed: { cpu: 1 }, slots: 1, latencyMs: 1, bandwidthMBps: 1_000 };

beforeAll(async () => {
  gpu = await openGpu();
  const executor = new GpuExecutor({ gpu, stages: STAGES, log: () => undefined });
  calibration = await calibrate({ executor, adapter: gpu.facts, reps: 3, only: ["simd/map@1", "simd/scan@1", "simd/reduce@1", "simd/matmul@1"] });
  // Registered the way the gpu-runner registers: caps from the adapter, the measured profile, same host.
  const gpuNode: NodeSpec = { id: "gpu-1", kind: "runner", url: "http://127.0.0.1:9", caps: capsOf(gpu.facts), speed: calibration.speed, slots: 1, latencyMs: 1, bandwidthMBps: 1_000 };
  nodes = [...builtinNodes(1), cpuRunner, gpuNode].map((spec) => ({ spec, freeAt: 0 }));
}, 120_000);

afterAll(() => gpu?.close());

function placeCall(ref: string, input: Value) {
  const placement = place({ stage: STAGES.get(ref)!, inputBytes: encodedSize(input), now: 0, exclude: new Set(), inlineMaxMs: 2 }, nodes);
  if (!placement.ok) throw new Error(placement.reason);
  return placement;
}

const large = (ref: string): Value => {
  const xs = new Float32Array(1 << 20).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  if (ref === "simd/map@1") return { op: "square", a: xs };
  if (ref === "simd/reduce@1") return { op: "sum", xs };
  if (ref === "simd/scan@1") return { xs };
  const side = 1024;
  return { a: new Float32Array(side * side), b: new Float32Array(side * side), m: side, k: side, n: side };
};

describe(`placement with the profile calibrated on this machine's adapter`, () => {
  it("follows the measured factors: SIMD calls go where the model, fed by calibration, says they finish first", () => {
    for (const { ref, factor } of calibration.stages) {
      const placement = placeCall(ref, large(ref));
      const gpuFinish = placement.alternatives.find((c) => c.node === "gpu-1")!.finishAt;
      expect(placement.winner.finishAt).toBeLessThanOrEqual(gpuFinish);
      // The GPU's predicted run is the CPU reference's scaled by the factor measured for this stage.
      const cpuRun = placement.alternatives.find((c) => c.node === "cpu-1")!.runMs;
      expect(placement.alternatives.find((c) => c.node === "gpu-1")!.runMs).toBeCloseTo(cpuRun / factor, 6);
    }
  });

  it("on a software adapter routes the stages it measured as slow to CPU backends; on a real GPU sends a 1024² matmul to the GPU", () => {
    if (gpu.facts.software) {
      // Mesa on the CPU: element-wise work is memory-bound and the kernel pays the GL round trip,
      // so calibration must find it slower than JS, and those calls go to CPU backends.
      const slow = calibration.stages.filter((s) => s.factor < 0.8);
      expect(slow.map((s) => s.ref)).toContain("simd/map@1");
      for (const { ref } of slow) {
        const placement = placeCall(ref, large(ref));
        expect(placement.winner.node, `${ref}: ${placement.reason}`).not.toBe("gpu-1");
        expect(["inline", "worker", "cpu-1"]).toContain(placement.winner.node);
      }
    } else {
      const placement = placeCall("simd/matmul@1", large("simd/matmul@1"));
      expect(placement.winner.node, placement.reason).toBe("gpu-1");
    }
  });
});

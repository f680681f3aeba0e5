/**
 * The scheduler meets hardware, with a GPU profile that is a hypothetical input (named as such
 * in the fixture: no measurement is claimed). The same decisions with the profile a gpu-runner
 * calibrates on this machine's real (software) adapter are in test/gpu/placement.test.ts.
 */
import { describe, expect, it } from "vitest";
import { type Value, encodedSize } from "../../core/codec.ts";
import { builtinNodes } from "../../core/jobs/builtins.ts";
import type { NodeSpec } from "../../core/jobs/decisions.ts";
import { type PlacementNode, place } from "../../core/jobs/placement.ts";
import { registry } from "../shared/registry.ts";
import fixture from "../fixtures/hypothetical-fast-gpu.json" with { type: "json" };

const gpu = fixture.node as NodeSpec;
const cpuRunner: NodeSpec = { id: "cpu-1", kind: "runner", url: "http://127.0.0.1:9", caps: ["cpu", "simd"], speed: { cpu: 1 }, slots: 2, latencyMs: 1, bandwidthMBps: 1_000 };
const nodes: PlacementNode[] = [...builtinNodes(1), cpuRunner, gpu].map((spec) => ({ spec, freeAt: 0 }));

function placeCall(ref: string, input: Value) {
  const stage = registry.stages.get(ref)!;
  const placement = place({ stage, inputBytes: encodedSize(input), now: 0, exclude: new Set(), inlineMaxMs: 2 }, nodes);
  if (!placement.ok) throw new Error(placement.reason);
  return placement;
}

const square = (side: number) => ({ a: new Float32Array(side * side), b: new Float32Array(side * side), m: side, k: side, n: side });

describe("placement on a (hypothetical) fast GPU", () => {
  it("sends a large matrix multiply to the GPU, transfers included", () => {
    const placement = placeCall("simd/matmul@1", square(1024));
    expect(placement.winner.node).toBe("gpu-hypothetical");
    const cpu = placement.alternatives.find((c) => c.node === "worker")!;
    // Seconds of CPU reference against milliseconds on the GPU, 12 MB moved both ways included.
    expect(cpu.finishAt / placement.winner.finishAt).toBeGreaterThan(20);
    expect(placement.winner.transferMs).toBeGreaterThan(0);
    expect(placement.reason).toMatch(/^gpu-hypothetical finishes first/);
  });

  it("keeps a small reduction where the data is: the trip to the GPU costs more than the work", () => {
    const placement = placeCall("simd/reduce@1", { op: "sum", xs: new Float32Array(1_000) });
    expect(placement.winner.node).toBe("inline");
    expect(placement.alternatives.find((c) => c.node === "gpu-hypothetical")!.finishAt).toBeGreaterThan(placement.winner.finishAt);
  });

  it("never sends a plain CPU stage to the GPU runner (it lacks the cpu capability)", () => {
    const placement = placeCall("shapes/spin@1", { iterations: 1, salt: 1 });
    expect(placement.alternatives.map((c) => c.node)).not.toContain("gpu-hypothetical");
  });
});

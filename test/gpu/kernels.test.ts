/**
 * Every bundled stage that has a kernel, run on the real WebGPU device against its CPU
 * reference `run`, on seeded random inputs of awkward sizes (0, 1, a workgroup ±1, large).
 * The stages come from the registries, so a new kernel stage is covered as soon as it is
 * bundled; the inputs and the tolerance per stage are in gpu-runners/samples.ts (each entry
 * says what the bound is and why), and a kernel stage without an entry fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gpu, describeFacts } from "../../gpu-runners/device.ts";
import { GpuExecutor } from "../../gpu-runners/executor.ts";
import { SAMPLES, rng } from "../../gpu-runners/samples.ts";
import { STAGES, openGpu } from "./support.ts";

let gpu: Gpu;
let executor: GpuExecutor;
const logs: string[] = [];

beforeAll(async () => {
  gpu = await openGpu(logs);
  executor = new GpuExecutor({ gpu, stages: STAGES, log: (line) => logs.push(line) });
  console.log(describeFacts(gpu.facts).join("\n"));
}, 120_000);

afterAll(() => gpu?.close());

const kernelStages = [...STAGES.values()].filter((s) => s.kernel !== undefined);

/** Variants beyond the first run on the sizes below this (all sizes run with the first). */
const ALL_VARIANTS_BELOW = 2 ** 16;

const seedOf = (text: string) => [...text].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0, 0x811c9dc5);

it("finds the kernel stages of the examples and of kernels/, each with sample inputs", () => {
  const refs = kernelStages.map((s) => s.ref);
  expect(refs).toEqual(expect.arrayContaining(["numeric-pipeline/matmul@1", "numeric-pipeline/sum@1", "simd/map@1", "simd/reduce@1", "simd/matmul@1"]));
  expect(refs.filter((ref) => !SAMPLES[ref]), "kernel stages with no entry in gpu-runners/samples.ts").toEqual([]);
});

describe.each(kernelStages.map((s) => [s.ref, s] as const))("%s", (ref, stage) => {
  const spec = SAMPLES[ref];
  if (!spec) {
    it("has sample inputs in gpu-runners/samples.ts", () => expect.fail(`add an entry for ${ref} to gpu-runners/samples.ts`));
    return;
  }
  const cases = spec.testSizes.flatMap((size) =>
    spec.variants.filter((v, i) => i === 0 || spec.elements(size) < ALL_VARIANTS_BELOW).map((variant) => [size, variant] as const),
  );
  it.each(cases)(`${spec.unit} %i, %s: agrees with run() (${spec.tolerance.split(":")[0]})`, async (size, variant) => {
    const input = spec.make(size, rng(seedOf(`${ref} ${size} ${variant}`)), variant);
    const expected = stage.run(input);
    const { value, timings } = await executor.runKernel(stage, input);
    expect(spec.compare(input, value, expected) ?? "agrees").toBe("agrees");
    expect(timings.totalMs).toBeGreaterThan(0);
  });
});

it("raised no uncaptured device errors and lost no device", () => {
  expect(gpu.health()).toEqual({ deviceLosses: 0, uncapturedErrors: 0 });
  expect(executor.stats().kernelFailures).toBe(0);
});

/**
 * What goes wrong with a kernel comes back as a clear call error, and the device keeps working:
 * WGSL that does not compile (line:column), bindings that do not match the layout, a dispatch
 * WebGPU refuses, a bind() that breaks the contract or the device's limits, a bind() that
 * throws; a lost device is re-created and counted. Stages defined here are user stages the
 * executor is given, as a registry would bundle them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Value, createRegistry, defineStage } from "../../core/index.ts";
import type { KernelBinding, Stage } from "../../core/sdk/stage.ts";
import type { Gpu } from "../../gpu-runners/device.ts";
import { GpuExecutor } from "../../gpu-runners/executor.ts";
import { map } from "../../kernels/index.ts";
import { openGpu, until } from "./support.ts";

const cost = { runtimeMs: () => 1, outputBytes: () => 16 };

function stage(name: string, wgsl: string, bind: (xs: Float32Array) => KernelBinding, caps: readonly ("simd" | "gpu")[] = ["simd"]) {
  return defineStage({
    name,
    version: 1,
    caps,
    timeoutMs: 1_000,
    cost,
    run: (xs: Float32Array) => xs.map((x) => x * 2),
    kernel: { wgsl, entryPoint: "main", bind, read: (out) => out as Float32Array },
  });
}

const oneInput = (xs: Float32Array): KernelBinding => ({
  inputs: [xs],
  output: { type: "f32", length: xs.length },
  params: [xs.length],
  workgroups: [Math.max(1, Math.ceil(xs.length / 64)), 1, 1],
});

const DOUBLE_WGSL = /* wgsl */ `@group(0) @binding(0) var<storage, read> xs: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> len: vec4<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < len.x) { out[id.x] = xs[id.x] * 2.0; }
}`;

/** A good kernel: the device must still run it after every failure below. */
const double = stage("test/double", DOUBLE_WGSL, oneInput);

/** Line 5 adds a u32 to an f32: WGSL has no such operator. */
const brokenWgsl = stage(
  "test/broken-wgsl",
  `@group(0) @binding(0) var<storage, read> xs: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let x: f32 = xs[id.x] + 1u;
  out[id.x] = x;
}`,
  oneInput,
);

/** Declares two inputs, but bind() hands one: binding 1 is then the output, binding 2 the params. */
const wrongBindings = stage(
  "test/wrong-bindings",
  `@group(0) @binding(0) var<storage, read> xs: array<f32>;
@group(0) @binding(1) var<storage, read> ys: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < arrayLength(&out)) { out[id.x] = xs[id.x] + ys[id.x]; }
}`,
  oneInput,
);

/** Reads 8 u32 params (32 bytes) but bind() passes one (a 16-byte uniform): WebGPU refuses the dispatch. */
const shortParams = stage(
  "test/short-params",
  `struct P { a: u32, b: u32, c: u32, d: u32, e: u32, f: u32, g: u32, h: u32 }
@group(0) @binding(0) var<storage, read> xs: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < p.a + p.h) { out[id.x] = xs[id.x]; }
}`,
  oneInput,
);

const badBinding = (name: string, change: (b: KernelBinding) => unknown) =>
  stage(name, DOUBLE_WGSL, (xs) => change(oneInput(xs)) as KernelBinding);

const tooManyWorkgroups = badBinding("test/too-many-workgroups", (b) => ({ ...b, workgroups: [70_000, 1, 1] }));
const negativeParam = badBinding("test/negative-param", (b) => ({ ...b, params: [-1] }));
const hugeOutput = badBinding("test/huge-output", (b) => ({ ...b, output: { type: "f32", length: 2 ** 30 } }));
const notTyped = badBinding("test/not-typed", (b) => ({ ...b, inputs: [[1, 2, 3]] }));
const badType = badBinding("test/bad-output-type", (b) => ({ ...b, output: { type: "f64", length: 3 } }));

/** A SIMD-tagged stage without a kernel: the gpu-runner runs its `run`. */
const noKernel = defineStage({ name: "test/no-kernel", version: 1, caps: ["simd"], timeoutMs: 1_000, cost, run: (xs: number[]) => xs.length });

const stages = createRegistry({ double, brokenWgsl, wrongBindings, shortParams, tooManyWorkgroups, negativeParam, hugeOutput, notTyped, badType, noKernel, map }).stages;

let gpu: Gpu;
let executor: GpuExecutor;
const logs: string[] = [];

beforeAll(async () => {
  gpu = await openGpu(logs);
  executor = new GpuExecutor({ gpu, stages, log: (line) => logs.push(line) });
}, 120_000);

afterAll(() => gpu?.close());

const xs = new Float32Array([1, 2, 3, 4, 5]);
const run = (s: object, input: Value = xs) => executor.runKernel(s as Stage<Value, Value>, input);

async function stillWorks(): Promise<void> {
  expect((await run(double)).value).toEqual(new Float32Array([2, 4, 6, 8, 10]));
}

describe("WGSL that does not compile", () => {
  it("fails the call with WgslCompileError naming the stage, line:column and the compiler's message", async () => {
    const error = await run(brokenWgsl).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe("WgslCompileError");
    const message = (error as Error).message;
    expect(message).toMatch(/^stage "test\/broken-wgsl@1": its WGSL kernel does not compile:\n {2}line 5:16: no matching overload for 'operator \+ \(f32, u32\)'\n/);
    // The offending source line, with a caret under column 16.
    expect(message).toContain("\n      let x: f32 = xs[id.x] + 1u;\n                   ^\n");
    await stillWorks();
  });

  it("is compiled once: the second call fails the same way from the cache", async () => {
    const first = await run(brokenWgsl).catch((e: Error) => e.message);
    const second = await run(brokenWgsl).catch((e: Error) => e.message);
    expect(second).toBe(first);
  });
});

describe("WebGPU validation errors", () => {
  it("bindings that do not match the layout: GpuValidationError naming the binding and the layout the runner uses", async () => {
    const error = (await run(wrongBindings).catch((e: Error) => e)) as Error;
    expect(error.name).toBe("GpuValidationError");
    expect(error.message).toMatch(/^stage "test\/wrong-bindings@1": WebGPU refused its kernel's pipeline \(entry point "main", 1 input\(s\)\): /);
    expect(error.message).toContain("@binding(2)");
    expect(error.message).toContain(
      "The gpu-runner binds, in @group(0), @binding(0) as var<storage, read>, @binding(1) as var<storage, read_write> (the output), @binding(2) as var<uniform> (the params)",
    );
    await stillWorks();
  });

  it("a dispatch WebGPU refuses (a uniform smaller than the shader reads): GpuValidationError from the error scope", async () => {
    const error = (await run(shortParams).catch((e: Error) => e)) as Error;
    expect(error.name).toBe("GpuValidationError");
    expect(error.message).toMatch(/^stage "test\/short-params@1": WebGPU validation error: .*too small.*at least 32 bytes/);
    await stillWorks();
    expect(gpu.health().uncapturedErrors).toBe(0);
  });
});

describe("bind() results that break the contract or the device's limits", () => {
  it.each([
    [tooManyWorkgroups, /workgroups\[0\] must be an integer from 0 to 65535 \(this device's maxComputeWorkgroupsPerDimension\), got 70000/],
    [negativeParam, /params\[0\] must be a u32 \(an integer from 0 to 2\^32-1\), got -1/],
    [hugeOutput, /asks for an output of 4096\.0 MiB, more than this device binds \(maxStorageBufferBindingSize \d+\.\d MiB\)/],
    [notTyped, /inputs\[0\] must be a Float32Array, Uint32Array or Int32Array/],
    [badType, /output\.type must be "f32", "u32" or "i32", got "f64"/],
  ])("%s: KernelBindingError before anything reaches the GPU", async (s, message) => {
    const error = (await run(s).catch((e: Error) => e)) as Error;
    expect(error.name).toBe("KernelBindingError");
    expect(error.message).toMatch(new RegExp(`^stage "${s.ref}": kernel\\.bind\\(\\) `));
    expect(error.message).toMatch(message);
  });

  it("an error bind() throws is the stage's own failure and passes through unchanged", async () => {
    const error = (await run(map, { op: "bogus", a: xs }).catch((e: Error) => e)) as Error;
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('simd/map: op must be one of add, sub, mul, min, max, scale, offset, neg, abs, relu, square, got "bogus"');
  });
});

describe("the executor", () => {
  it("runs only bundled stages", async () => {
    await expect(executor.execute("simd/not-bundled@1", xs)).rejects.toThrow('stage "simd/not-bundled@1" is not bundled with this gpu-runner');
  });

  it("runs a SIMD-tagged stage without a kernel with its run()", async () => {
    const before = executor.stats().cpuCalls;
    expect(await executor.execute("test/no-kernel@1", [1, 2, 3])).toBe(3);
    expect(executor.stats().cpuCalls).toBe(before + 1);
  });

  it("keeps concurrent calls apart (more than one slot): each gets its own result or its own error", async () => {
    const inputs = Array.from({ length: 6 }, (_, i) => Float32Array.from({ length: 1000 * (i + 1) }, (_, j) => j - i));
    const outcomes = await Promise.allSettled(inputs.flatMap((input) => [run(double, input), run(shortParams, input)]));
    outcomes.forEach((outcome, i) => {
      const input = inputs[i >> 1]!;
      if (i % 2 === 0) {
        expect(outcome.status).toBe("fulfilled");
        expect((outcome as PromiseFulfilledResult<{ value: Value }>).value.value).toEqual(input.map((x) => x * 2));
      } else {
        expect(outcome.status).toBe("rejected");
        expect((outcome as PromiseRejectedResult).reason.message).toMatch(/^stage "test\/short-params@1": WebGPU validation error/);
      }
    });
  });

  it("counts failures per stage and keeps the last error for the status", () => {
    const stats = executor.stats();
    expect(stats.kernelFailures).toBeGreaterThan(0);
    expect(stats.stages["test/broken-wgsl@1"]).toEqual({ calls: 2 + 1, failures: 3 });
    expect(stats.lastError?.stage).toBeDefined();
  });
});

describe("a lost device", () => {
  it("is re-created, counted and reported; calls run on the new device", async () => {
    await stillWorks();
    const generation = gpu.generation;
    gpu.device.destroy(); // as a driver reset would: not through close()
    await until(() => expect(gpu.generation).toBe(generation + 1));
    expect(gpu.health()).toMatchObject({ deviceLosses: 1, lastLoss: { reason: "destroyed" } });
    expect(logs.some((l) => /^gpu: device lost \(destroyed: .*\); re-creating it \(loss 1\)$/.test(l))).toBe(true);
    expect(logs.some((l) => l.startsWith("gpu: device re-created on "))).toBe(true);
    await stillWorks();
    // The pipeline cache belonged to the old device: the broken kernel is compiled (and refused) again.
    await expect(run(brokenWgsl)).rejects.toThrow(/line 5:16/);
  });

  it("a call in flight when the device is lost runs again on the new device", async () => {
    const big = new Float32Array(1 << 20).fill(1);
    const pending = run(double, big);
    // Once the call is under way (its upload of 4 MiB, at the least), as a driver reset would.
    setTimeout(() => gpu.device.destroy(), 1);
    const { value } = await pending;
    expect((value as Float32Array).every((x) => x === 2)).toBe(true);
    await until(() => expect(gpu.health().deviceLosses).toBe(2));
  });
});

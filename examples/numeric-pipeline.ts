/**
 * A numeric pipeline of SIMD stages: C = A·B for n×n matrices, then the sum of C's entries.
 *
 * A SIMD stage carries a WGSL compute kernel (what a gpu-runner dispatches) and a `run`,
 * its CPU reference with the same semantics. Both compute in f32: the CPU side rounds every
 * product and every partial sum with Math.fround, in the same order the kernel adds them,
 * so a GPU result can be checked against `run` closely (see each stage for how closely).
 *
 * How a gpu-runner binds and dispatches a kernel is `KernelBinding` in core/sdk/stage.ts: each
 * stage's `kernel.bind(input)` names the input buffers, the output's type and length, the u32
 * params and the workgroups; `kernel.read` turns the output buffer back into the result.
 * On Dawn over Mesa's llvmpipe Vulkan driver both kernels agree with `run` bit for bit
 * (matmul for n = 1..100, sum for 0..100,000 elements). kernels/ has more SIMD stages.
 */
import { z } from "zod";
import { type Step, defineJob, defineStage } from "paxflow";
import {
  type MatmulInput,
  MATMUL_WGSL,
  SUM_WGSL,
  TILE,
  checkMatmulInput,
  checkSumInput,
  matmulReference,
  sumReference,
} from "../kernels/numeric.ts";

export { type MatmulInput, MATMUL_WGSL, SUM_THREADS, SUM_WGSL, TILE, matmulReference, sumReference } from "../kernels/numeric.ts";

// Cost models: `run` (the CPU reference) on the reference machine, n = encoded input bytes.
// Measured by kernels/calibrate.ts with Node 20 on the 2-core reference machine: after a
// warm-up, the median of 5 (matmul) or 7 (sum) timed calls, matmul for N×N matrices with
// N = 64..512 (0.5 ms to 280 ms), sum for 2^12..2^22 floats, fitted by least squares on
// relative error: matmul ≈ c·N³ with N = sqrt(n/8) (two N×N f32 matrices), sum ≈ c·n.
const matrixSide = (n: number): number => Math.sqrt(Math.max(0, n - 16) / 8);
const MATMUL_MS_BASE = 0.001;
const MATMUL_MS_PER_CUBE = 2.05e-6; // ~2 ns per multiply-add
const SUM_MS_BASE = 0.001;
const SUM_MS_PER_BYTE = 5.8e-7; // ~2.3 ns per float

export const matmul = defineStage({
  name: "numeric-pipeline/matmul",
  version: 1,
  caps: ["simd"],
  timeoutMs: 30_000,
  cost: {
    runtimeMs: (n) => MATMUL_MS_BASE + MATMUL_MS_PER_CUBE * matrixSide(n) ** 3,
    outputBytes: (n) => Math.ceil(4 * matrixSide(n) ** 2) + 8,
  },
  kernel: {
    wgsl: MATMUL_WGSL,
    entryPoint: "matmul",
    bind: (input: MatmulInput) => {
      checkMatmulInput(input);
      const { a, b, n } = input;
      const tiles = Math.max(1, Math.ceil(n / TILE));
      return { inputs: [a, b], output: { type: "f32", length: n * n }, params: [n, a.length, b.length], workgroups: [tiles, tiles, 1] };
    },
    read: (output, { n }: MatmulInput) => {
      if (!(output instanceof Float32Array) || output.length !== n * n) throw new TypeError(`matmul: the kernel's output must be a Float32Array of n*n = ${n * n}`);
      return output;
    },
  },
  run: (input: MatmulInput): Float32Array => {
    checkMatmulInput(input);
    return matmulReference(input);
  },
});

// sum: one pass over the input; returns one number (a CBOR float: 9 bytes).
export const sum = defineStage({
  name: "numeric-pipeline/sum",
  version: 1,
  caps: ["simd"],
  timeoutMs: 10_000,
  cost: {
    runtimeMs: (n) => SUM_MS_BASE + SUM_MS_PER_BYTE * n,
    outputBytes: () => 9,
  },
  kernel: {
    wgsl: SUM_WGSL,
    entryPoint: "sum",
    bind: (xs: Float32Array) => {
      checkSumInput(xs);
      return { inputs: [xs], output: { type: "f32", length: 1 }, params: [xs.length], workgroups: [1, 1, 1] };
    },
    read: (output) => {
      if (!(output instanceof Float32Array) || output.length !== 1) throw new TypeError("sum: the kernel's output must be a Float32Array of 1");
      return output[0]!;
    },
  },
  run: (xs: Float32Array): number => {
    checkSumInput(xs);
    return sumReference(xs);
  },
});

/** Multiplies two n×n matrices and returns the sum of the product's entries. */
export const numericPipeline = defineJob({
  name: "numeric-pipeline",
  *run(input: MatmulInput): Step<number> {
    const product = yield* matmul(input);
    return yield* sum(product);
  },
});

/**
 * A deterministic n×n matrix of f32 values in [-1, 1) from a 32-bit seed (an LCG): a job can
 * make its own inputs, so it can be submitted over HTTP as plain JSON.
 */
export function seededMatrix(n: number, seed: number): Float32Array {
  const out = new Float32Array(n * n);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    out[i] = s / 0x8000_0000 - 1;
  }
  return out;
}

/** The pipeline on seeded random matrices: `{"n": 256, "seed": 1}` over HTTP. */
export const randomPipeline = defineJob({
  name: "numeric-pipeline/random",
  input: z.object({ n: z.number().int().min(1).max(2_048), seed: z.number().int().min(0).max(0xffff_ffff) }).strict(),
  *run({ n, seed }: { readonly n: number; readonly seed: number }): Step<number> {
    const product = yield* matmul({ a: seededMatrix(n, seed), b: seededMatrix(n, (seed + 1) >>> 0), n });
    return yield* sum(product);
  },
});

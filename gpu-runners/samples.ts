/**
 * Inputs for the SIMD stages' kernels, from each stage's documented input shape: what start-up
 * calibration times (representative sizes), what the GPU tests check against the CPU reference
 * (awkward sizes: 0, 1, a workgroup ±1, large) and what the benchmark sweeps. One entry per
 * stage ref; a kernel stage with no entry is skipped by calibration (the scheduler then uses
 * the runner's median `simd` factor for it) and fails the GPU tests until it gets one.
 *
 * `compare` states how closely the kernel must agree with `run` and why (each stage's doc
 * comment argues the bound; the kernels' own tolerance helpers are used where they exist).
 */
import type { Value } from "../core/codec.ts";
import {
  BINARY_MAP_OPS,
  F32_MIN_NORMAL,
  HISTOGRAM_THREADS,
  type HistogramInput,
  MAP_OPS,
  MAP_THREADS,
  MATMUL_TILE,
  type MapInput,
  type MatmulInput as GeneralMatmulInput,
  REDUCE_OPS,
  REDUCE_THREADS,
  type ReduceInput,
  SCALAR_MAP_OPS,
  SCAN_CHUNK,
  SCAN_THREADS,
  gamma,
  matmulTolerance,
  sumTolerance,
} from "../kernels/index.ts";
import { type MatmulInput as SquareMatmulInput, SUM_THREADS, TILE } from "../kernels/numeric.ts";

/** A seeded generator of uniform [0, 1) (mulberry32): inputs are reproducible from the seed. */
export type Rng = () => number;
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Uniform in [-1, 1). */
const signed = (r: Rng) => r() * 2 - 1;
/** ±2^e with e uniform in [-8, 8]: far from overflow and from subnormals, even after one product. */
const wide = (r: Rng) => (r() < 0.5 ? -1 : 1) * 2 ** (r() * 16 - 8);
export const f32Array = (length: number, r: Rng, gen: (r: Rng) => number = signed) => Float32Array.from({ length }, () => gen(r));

export interface SampleSpec {
  /** What `size` counts: "elements" of the input array, or "n" (matrix side). */
  readonly unit: "elements" | "n";
  /** Awkward sizes for the correctness tests. */
  readonly testSizes: readonly number[];
  /** Representative sizes for start-up calibration (a few, quick on a software adapter). */
  readonly calibrationSizes: readonly number[];
  /** The benchmark's sweep (a software adapter may be capped lower: `softwareBenchMax`). */
  readonly benchSizes: readonly number[];
  readonly softwareBenchMax?: number;
  /** Variants (ops) of one stage; `make` takes one. Tests cover all of them, calibration and bench the first. */
  readonly variants: readonly string[];
  make(size: number, r: Rng, variant: string): Value;
  /** Elements one input holds, for tables. */
  elements(size: number): number;
  /** The tolerance, in words, for test output. */
  readonly tolerance: string;
  /** undefined when `gpu` is within tolerance of `cpu`, else what is wrong. */
  compare(input: Value, gpu: Value, cpu: Value): string | undefined;
}

const pow2 = (from: number, to: number, step = 1) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => 2 ** (from + i * step));

/** Every element bit-equal, except that a GPU may flush a subnormal result to zero (|difference| < 2⁻¹²⁶). */
function bitEqualArrays(gpu: Value, cpu: Value): string | undefined {
  if (!(gpu instanceof Float32Array) || !(cpu instanceof Float32Array)) return `expected two Float32Arrays, got ${kind(gpu)} and ${kind(cpu)}`;
  if (gpu.length !== cpu.length) return `length ${gpu.length}, expected ${cpu.length}`;
  for (let i = 0; i < cpu.length; i++) {
    if (Object.is(gpu[i], cpu[i])) continue;
    if (Math.abs(gpu[i]! - cpu[i]!) < F32_MIN_NORMAL) continue;
    return `element ${i}: ${gpu[i]} from the kernel, ${cpu[i]} from run (bit-equality expected)`;
  }
  return undefined;
}

/** |gpu[i] − cpu[i]| ≤ bound[i] for every element. */
function withinArrays(gpu: Value, cpu: Value, bound: ArrayLike<number>): string | undefined {
  if (!(gpu instanceof Float32Array) || !(cpu instanceof Float32Array)) return `expected two Float32Arrays, got ${kind(gpu)} and ${kind(cpu)}`;
  if (gpu.length !== cpu.length) return `length ${gpu.length}, expected ${cpu.length}`;
  for (let i = 0; i < cpu.length; i++) {
    const diff = Math.abs(gpu[i]! - cpu[i]!);
    if (!(diff <= bound[i]!)) return `element ${i}: ${gpu[i]} from the kernel, ${cpu[i]} from run, |difference| ${diff} > bound ${bound[i]}`;
  }
  return undefined;
}

const kind = (v: Value) => (v === null ? "null" : ArrayBuffer.isView(v) ? v.constructor.name : typeof v);

/** Square matmul (numeric-pipeline): both results within γ_n·Σ_k|a_ik·b_kj| of the exact product, so within twice that of each other. */
function squareMatmulBound({ a, b, n }: SquareMatmulInput): Float64Array {
  const bound = new Float64Array(n * n);
  const g = 2 * gamma(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = Math.abs(a[i * n + k]!);
      for (let j = 0; j < n; j++) bound[i * n + j] = bound[i * n + j]! + aik * Math.abs(b[k * n + j]!);
    }
  }
  for (let e = 0; e < bound.length; e++) bound[e] = g * bound[e]! + F32_MIN_NORMAL;
  return bound;
}

export const SAMPLES: Readonly<Record<string, SampleSpec>> = {
  "numeric-pipeline/matmul@1": {
    unit: "n",
    testSizes: [0, 1, 2, TILE - 1, TILE, TILE + 1, 37, 100, 256],
    calibrationSizes: [64, 128, 192],
    benchSizes: [64, 128, 256, 512, 1024],
    softwareBenchMax: 512,
    variants: ["square"],
    make: (n, r) => ({ a: f32Array(n * n, r), b: f32Array(n * n, r), n }),
    elements: (n) => n * n,
    tolerance:
      "per entry |gpu − cpu| ≤ 2·γ_n·Σ_k|a_ik·b_kj| + 2⁻¹²⁶: the same order of f32 operations gives equal bits, but WGSL lets a compiler fuse a multiply-add; both results are then within γ_n·Σ|a·b| of the exact product (Higham §3.1), so within twice that of each other",
    compare: (input, gpu, cpu) => withinArrays(gpu, cpu, squareMatmulBound(input as SquareMatmulInput)),
  },
  "numeric-pipeline/sum@1": {
    unit: "elements",
    testSizes: [0, 1, SUM_THREADS - 1, SUM_THREADS, SUM_THREADS + 1, 10_000, 2 ** 20],
    calibrationSizes: [2 ** 16, 2 ** 18, 2 ** 20],
    benchSizes: pow2(10, 22, 2),
    variants: ["sum"],
    make: (size, r) => f32Array(size, r, (g) => signed(g) * 1000),
    elements: (size) => size,
    tolerance: "bit-equal: run adds in the kernel's order (strided partials, then the tree), and WGSL's f32 addition is correctly rounded",
    compare: (_input, gpu, cpu) => (Object.is(gpu, cpu) ? undefined : `kernel ${String(gpu)}, run ${String(cpu)} (bit-equality expected)`),
  },
  "simd/map@1": {
    unit: "elements",
    testSizes: [0, 1, MAP_THREADS - 1, MAP_THREADS, MAP_THREADS + 1, 65_535 * MAP_THREADS + 1, 2 ** 20],
    calibrationSizes: [2 ** 16, 2 ** 18, 2 ** 20],
    benchSizes: pow2(10, 22, 2),
    variants: ["add", ...MAP_OPS.filter((op) => op !== "add")],
    make: (size, r, op) => {
      const input: MapInput = {
        op: op as MapInput["op"],
        a: f32Array(size, r, wide),
        ...(BINARY_MAP_OPS.includes(op as MapInput["op"]) ? { b: f32Array(size, r, wide) } : {}),
        ...(SCALAR_MAP_OPS.includes(op as MapInput["op"]) ? { k: wide(r) } : {}),
      };
      return input as unknown as Value;
    },
    elements: (size) => size,
    tolerance: "bit-equal up to a flushed subnormal: every op is one correctly rounded f32 operation (or exact) on both sides; inputs are ±2^[-8, 8], so no NaN, infinity or subnormal arises",
    compare: (_input, gpu, cpu) => bitEqualArrays(gpu, cpu),
  },
  "simd/reduce@1": {
    unit: "elements",
    testSizes: [0, 1, REDUCE_THREADS - 1, REDUCE_THREADS, REDUCE_THREADS + 1, 10_000, 2 ** 20],
    calibrationSizes: [2 ** 16, 2 ** 18, 2 ** 20],
    benchSizes: pow2(10, 22, 2),
    variants: [...REDUCE_OPS],
    make: (size, r, op) => ({ op: op as ReduceInput["op"], xs: f32Array(size, r, (g) => signed(g) * 1000) }) as unknown as Value,
    elements: (size) => size,
    tolerance:
      "sum: bit-equal (same order of correctly rounded additions), and both within sumTolerance(xs) of the exact sum; min/max: bit-equal (comparisons only)",
    compare: (input, gpu, cpu) => {
      const { op, xs } = input as unknown as ReduceInput;
      if (typeof gpu !== "number" || typeof cpu !== "number") return `expected numbers, got ${kind(gpu)} and ${kind(cpu)}`;
      if (Object.is(gpu, cpu)) return undefined;
      if (op === "sum" && Math.abs(gpu - cpu) <= 2 * sumTolerance(xs)) return `kernel ${gpu}, run ${cpu}: within tolerance but not bit-equal`;
      return `kernel ${gpu}, run ${cpu} (bit-equality expected)`;
    },
  },
  "simd/matmul@1": {
    unit: "n",
    testSizes: [0, 1, 2, MATMUL_TILE - 1, MATMUL_TILE, MATMUL_TILE + 1, 37, 100, 256],
    calibrationSizes: [64, 128, 192],
    benchSizes: [64, 128, 256, 512, 1024],
    softwareBenchMax: 512,
    variants: ["square", "tall", "wide"],
    make: (size, r, shape) => {
      // square: n×n·n×n; tall: (2n+3)×n·n×(n/2+1); wide: 1×n·n×(2n+1): ragged edges in every tile.
      const [m, k, n] = shape === "tall" ? [2 * size + 3, size, (size >> 1) + 1] : shape === "wide" ? [1, size, 2 * size + 1] : [size, size, size];
      const input: GeneralMatmulInput = { a: f32Array(m * k, r), b: f32Array(k * n, r), m, k, n };
      return input as unknown as Value;
    },
    elements: (n) => n * n,
    tolerance: "per entry 2·matmulTolerance (both results within matmulTolerance of the exact product: γ_k·Σ_p|a_ip·b_pj|, Higham §3.1), bit-equal unless the compiler fuses multiply-adds",
    compare: (input, gpu, cpu) => {
      const bound = matmulTolerance(input as unknown as GeneralMatmulInput);
      return withinArrays(gpu, cpu, Array.from(bound, (b) => 2 * b));
    },
  },
  "simd/scan@1": {
    unit: "elements",
    testSizes: [0, 1, SCAN_THREADS - 1, SCAN_THREADS + 1, SCAN_CHUNK - 1, SCAN_CHUNK, SCAN_CHUNK + 1, 10_000, 2 ** 20],
    calibrationSizes: [2 ** 16, 2 ** 18, 2 ** 20],
    benchSizes: pow2(10, 22, 2),
    variants: ["scan"],
    make: (size, r) => ({ xs: f32Array(size, r, (g) => signed(g) * 1000) }) as unknown as Value,
    elements: (size) => size,
    tolerance: "bit-equal up to a flushed subnormal: run performs the kernel's f32 additions in the kernel's order (per-invocation prefixes, Hillis-Steele over the 256 totals, the carry between chunks), each correctly rounded",
    compare: (_input, gpu, cpu) => bitEqualArrays(gpu, cpu),
  },
  "simd/histogram@1": {
    unit: "elements",
    testSizes: [0, 1, HISTOGRAM_THREADS - 1, HISTOGRAM_THREADS + 1, 4095, 4097, 100_000, 2 ** 20],
    calibrationSizes: [2 ** 16, 2 ** 18, 2 ** 20],
    benchSizes: pow2(10, 22, 2),
    variants: ["64 bins", "1 bin", "4096 bins", "7 bins"],
    make: (size, r, variant) => {
      const bins = Number.parseInt(variant, 10);
      // Elements over [-1.25, 1.25) for a range of [-1, 1): some fall outside on both sides, and
      // the range's ends are in xs too.
      const xs = f32Array(size, r, (g) => signed(g) * 1.25);
      if (size > 2) [xs[0], xs[1]] = [-1, 1];
      const input: HistogramInput = { xs, bins, lo: -1, hi: 1 };
      return input as unknown as Value;
    },
    elements: (size) => size,
    tolerance: "equal counts: both sides compute each element's bin with the same two correctly rounded f32 operations, and counting is exact",
    compare: (_input, gpu, cpu) => {
      if (!(gpu instanceof Uint32Array) || !(cpu instanceof Uint32Array)) return `expected two Uint32Arrays, got ${kind(gpu)} and ${kind(cpu)}`;
      if (gpu.length !== cpu.length) return `${gpu.length} bins, expected ${cpu.length}`;
      const i = cpu.findIndex((c, j) => gpu[j] !== c);
      return i < 0 ? undefined : `bin ${i}: ${gpu[i]} from the kernel, ${cpu[i]} from run`;
    },
  },
};

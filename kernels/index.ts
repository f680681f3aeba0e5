/**
 * The SIMD stages shipped with paxflow. Each is a WGSL kernel (what a gpu-runner dispatches),
 * a CPU reference `run` with the same semantics (what a CPU backend runs, and what the kernel
 * is tested against), a cost model of `run` on the reference machine, and caps ["simd"].
 *
 *   stage               input                                              output
 *   simd/map@1          { op, a: Float32Array, b?: Float32Array, k? }      Float32Array (a.length)
 *   simd/reduce@1       { op: "sum" | "min" | "max", xs: Float32Array }    number
 *   simd/matmul@1       { a: Float32Array, b: Float32Array, m, k, n }      Float32Array (m·n)
 *   simd/scan@1         { xs: Float32Array }                               Float32Array (xs.length)
 *   simd/histogram@1    { xs: Float32Array, bins, lo, hi }                 Uint32Array (bins)
 *
 *   job                 input                                              output
 *   simd/stats          { xs: Float32Array }                               { count, sum, min, max, mean }
 *
 * kernels/README.md explains the binding layout and how to write your own SIMD stage.
 */
import { type Step, all, defineJob } from "../core/index.ts";
import { reduce } from "./reduce.ts";

export { F32_MIN_NORMAL, F32_UNIT_ROUNDOFF, MAX_ELEMENTS, MAX_WORKGROUPS, f32Bits, gamma, grid } from "./common.ts";
export { HISTOGRAM_THREADS, HISTOGRAM_WGSL, type HistogramInput, MAX_BINS, histogram, histogramReference } from "./histogram.ts";
export { BINARY_MAP_OPS, MAP_OPS, MAP_THREADS, MAP_WGSL, type MapInput, type MapOp, SCALAR_MAP_OPS, map, mapReference } from "./map.ts";
export { MATMUL_TILE, MATMUL_WGSL, MAX_MULTIPLY_ADDS, type MatmulInput, matmul, matmulReference, matmulTolerance } from "./matmul.ts";
export { REDUCE_OPS, REDUCE_THREADS, REDUCE_WGSL, type ReduceInput, type ReduceOp, reduce, reduceIdentity, reduceReference, sumDepth, sumTolerance } from "./reduce.ts";
export { SCAN_CHUNK, SCAN_ITEMS, SCAN_THREADS, SCAN_WGSL, type ScanInput, scan, scanDepth, scanReference, scanTolerance } from "./scan.ts";

export type Stats = {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  /** sum / count, or null for an empty xs. */
  readonly mean: number | null;
};

/** Count, sum, min, max and mean of xs: three simd/reduce calls in one all(...). */
export const stats = defineJob({
  name: "simd/stats",
  *run(input: { readonly xs: Float32Array }): Step<Stats> {
    const { xs } = input;
    const [sum, min, max] = yield* all(reduce({ op: "sum", xs }), reduce({ op: "min", xs }), reduce({ op: "max", xs }));
    return { count: xs.length, sum, min, max, mean: xs.length === 0 ? null : sum / xs.length };
  },
});

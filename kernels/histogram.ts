/**
 * simd/histogram@1: counts of a Float32Array's elements in `bins` equal-width bins over [lo, hi).
 *
 *   input   { xs: Float32Array, bins: 1..4096, lo: number, hi: number }
 *   output  Uint32Array of bins
 *
 * With lo and hi rounded to f32 and scale = bins / (hi − lo) computed in f64 and rounded to f32
 * (by `bind`, for the kernel; by `run`, for itself), an element x is counted iff
 * lo <= x < hi, in bin min(bins − 1, floor((x − lo) · scale)), where the subtraction and the
 * product are f32 operations. Both are correctly rounded in WGSL, so the kernel and `run` put
 * every finite x in the same bin; elements outside [lo, hi) are not counted. NaN is never
 * counted by `run`; on a GPU (which may assume finite values) NaN and ±Infinity are unspecified.
 *
 * The kernel counts in workgroup memory (one array<atomic<u32>, 4096> per workgroup, 16 KiB:
 * the WebGPU default limit, hence at most 4096 bins), then adds each workgroup's nonzero counts
 * to the output with atomicAdd. Workgroups stride over xs, so any length works (0 included).
 *
 * Bindings: 0 xs, 1 counts (u32, bins; `array<atomic<u32>>` in the kernel), 2 params
 * [length, bins, f32 bits of lo, f32 bits of hi, f32 bits of scale] (5 values: a 20-byte
 * uniform, padded by the runner). Workgroups [min(1024, max(1, ceil(length / 4096))), 1, 1].
 */
import { defineStage } from "../core/index.ts";
import { checkBufferLength, checkF32, checkF32Number, checkInteger, checkObject, checkOutput, f32Bits } from "./common.ts";

export type HistogramInput = {
  readonly xs: Float32Array;
  /** An integer in [1, MAX_BINS]. */
  readonly bins: number;
  /** Rounded to f32; lo < hi after rounding, and hi − lo within f32 range. */
  readonly lo: number;
  readonly hi: number;
};

export const HISTOGRAM_THREADS = 256;
/** Bins one workgroup counts in workgroup memory: 4096 u32 = 16 KiB. */
export const MAX_BINS = 4096;
/** Elements per workgroup before another workgroup is added, and the most workgroups. */
const ELEMENTS_PER_WORKGROUP = 4096;
const MAX_HISTOGRAM_WORKGROUPS = 1024;

export const HISTOGRAM_WGSL = /* wgsl */ `
// Equal-width histogram over [lo, hi), counted per workgroup then added up (see kernels/histogram.ts).
struct Params {
  len: u32,
  bins: u32,
  lo_bits: u32,
  hi_bits: u32,
  scale_bits: u32,
}

@group(0) @binding(0) var<storage, read> xs: array<f32>;
@group(0) @binding(1) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> params: Params;

const THREADS: u32 = ${HISTOGRAM_THREADS}u;
var<workgroup> local_counts: array<atomic<u32>, ${MAX_BINS}>;

@compute @workgroup_size(${HISTOGRAM_THREADS})
fn histogram(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let bins = params.bins;
  for (var i: u32 = t; i < bins; i = i + THREADS) {
    atomicStore(&local_counts[i], 0u);
  }
  workgroupBarrier();
  let lo = bitcast<f32>(params.lo_bits);
  let hi = bitcast<f32>(params.hi_bits);
  let scale = bitcast<f32>(params.scale_bits);
  let stride = groups.x * THREADS;
  for (var i: u32 = wid.x * THREADS + t; i < params.len; i = i + stride) {
    let x = xs[i];
    if (x >= lo && x < hi) {
      let bin = min(u32(floor((x - lo) * scale)), bins - 1u);
      atomicAdd(&local_counts[bin], 1u);
    }
  }
  workgroupBarrier();
  for (var i: u32 = t; i < bins; i = i + THREADS) {
    let v = atomicLoad(&local_counts[i]);
    if (v > 0u) {
      atomicAdd(&counts[i], v);
    }
  }
}
`;

const STAGE = "simd/histogram";

/** Validates the input; returns lo, hi and scale as f32 values. */
function checkHistogramInput(input: HistogramInput): { lo: number; hi: number; scale: number } {
  checkObject(STAGE, input, "{ xs: Float32Array, bins, lo, hi }");
  checkF32(STAGE, "xs", input.xs);
  const bins = checkInteger(STAGE, "bins", input.bins, 1, MAX_BINS);
  const lo = checkF32Number(STAGE, "lo", input.lo);
  const hi = checkF32Number(STAGE, "hi", input.hi);
  if (!(lo < hi)) throw new RangeError(`${STAGE}: lo must be less than hi (as f32 values), got lo = ${input.lo}, hi = ${input.hi}`);
  if (!Number.isFinite(Math.fround(hi - lo))) throw new RangeError(`${STAGE}: hi - lo must be within f32 range, got ${hi - lo}`);
  const scale = Math.fround(bins / (hi - lo));
  if (!Number.isFinite(scale)) throw new RangeError(`${STAGE}: hi - lo = ${hi - lo} is too small for ${bins} bins (bins / (hi - lo) overflows f32)`);
  return { lo, hi, scale };
}

/** The kernel's rule, element by element, in f32. */
export function histogramReference(input: HistogramInput): Uint32Array {
  const { lo, hi, scale } = checkHistogramInput(input);
  const { xs, bins } = input;
  const counts = new Uint32Array(bins);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (x >= lo && x < hi) counts[Math.min(bins - 1, Math.floor(Math.fround(Math.fround(x - lo) * scale)))]!++;
  }
  return counts;
}

// Cost of `run` on the reference machine (2 cores, Node 20), measured by
// kernels/calibrate.ts: after a warm-up, the median of 7 timed calls for xs.length = 2^12 to
// 2^22 with 16 and with 4096 bins, fitted as a + c·n (n = encoded input bytes, 4 per element)
// by least squares on relative error: c = 8.5e-7 (4096 bins) to 9.8e-7 ms/byte (16 bins,
// ~4 ns per element), a up to 0.009 ms (allocating 4096 counts). The output is at most 4096
// counts; the model says the most.
export const histogram = defineStage({
  name: "simd/histogram",
  version: 1,
  caps: ["simd"],
  timeoutMs: 30_000,
  cost: {
    runtimeMs: (n) => 0.005 + 9.8e-7 * n,
    outputBytes: () => 4 * MAX_BINS + 5,
  },
  kernel: {
    wgsl: HISTOGRAM_WGSL,
    entryPoint: "histogram",
    bind: (input: HistogramInput) => {
      const { lo, hi, scale } = checkHistogramInput(input);
      const { xs, bins } = input;
      checkBufferLength(STAGE, "xs", xs.length);
      return {
        inputs: [xs],
        output: { type: "u32", length: bins },
        params: [xs.length, bins, f32Bits(lo), f32Bits(hi), f32Bits(scale)],
        workgroups: [Math.min(MAX_HISTOGRAM_WORKGROUPS, Math.max(1, Math.ceil(xs.length / ELEMENTS_PER_WORKGROUP))), 1, 1],
      };
    },
    read: (output, input: HistogramInput) => checkOutput<Uint32Array>(STAGE, output, "u32", input.bins),
  },
  run: histogramReference,
});

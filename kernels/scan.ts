/**
 * simd/scan@1: the inclusive prefix sum of a Float32Array.
 *
 *   input   { xs: Float32Array }
 *   output  Float32Array of xs.length: out[i] = xs[0] + ... + xs[i] (in f32)
 *
 * One dispatch of one workgroup of 256 invocations handles any length (0 included): it walks
 * xs in chunks of 1024 elements, carrying the running total from chunk to chunk. Within a
 * chunk, invocation t owns the 4 elements at chunk base + 4t:
 *
 *   1. pre[j] = xs[4t] + ... + xs[4t + j], left to right (the first element is taken as is);
 *      the invocation's total is pre[3] (elements past the end count as nothing);
 *   2. sums[] = an inclusive Hillis-Steele scan of the 256 totals in workgroup memory:
 *      sums[t] += sums[t − off] for off = 1, 2, 4, ..., 128 (when t ≥ off);
 *   3. out[i] = base + pre[j], where base = carry + sums[t − 1] (base = carry for t = 0);
 *   4. carry = carry + sums[255], for the next chunk (carry starts at +0).
 *
 * `run` performs exactly these f32 additions, so the kernel agrees with it bit for bit (WGSL's
 * f32 addition is correctly rounded), up to a GPU flushing subnormals to zero. An element
 * reaches out[i] through at most 13 + floor(i / 1024) additions; `scanTolerance` turns that
 * into a bound against the exact prefix sums. With NaN or ±Infinity in xs a GPU's result is
 * unspecified (WGSL may assume finite values).
 *
 * The one workgroup makes the kernel serial across chunks: correct at every length, and fast
 * enough up to MAX_ELEMENTS (the buffer limit `bind` enforces); a multi-workgroup scan needs
 * a second pass or forward-progress guarantees WebGPU does not give.
 *
 * Bindings: 0 xs, 1 out (f32, xs.length), 2 params [length]. Workgroups [1, 1, 1].
 */
import { defineStage } from "../core/index.ts";
import { F32_MIN_NORMAL, checkBufferLength, checkF32, checkObject, checkOutput, gamma } from "./common.ts";

export type ScanInput = { readonly xs: Float32Array };

export const SCAN_THREADS = 256;
/** Elements per invocation per chunk. */
export const SCAN_ITEMS = 4;
/** Elements per chunk: SCAN_THREADS · SCAN_ITEMS. */
export const SCAN_CHUNK = SCAN_THREADS * SCAN_ITEMS;

export const SCAN_WGSL = /* wgsl */ `
// Inclusive prefix sum in one workgroup, chunk by chunk (see kernels/scan.ts).
struct Params {
  len: u32,
}

@group(0) @binding(0) var<storage, read> xs: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

const THREADS: u32 = ${SCAN_THREADS}u;
const ITEMS: u32 = ${SCAN_ITEMS}u;
const CHUNK: u32 = ${SCAN_CHUNK}u;
var<workgroup> sums: array<f32, ${SCAN_THREADS}>;

@compute @workgroup_size(${SCAN_THREADS})
fn scan(@builtin(local_invocation_index) t: u32) {
  let len = params.len;
  let chunks = (len + CHUNK - 1u) / CHUNK;
  var carry: f32 = 0.0;
  for (var c: u32 = 0u; c < chunks; c = c + 1u) {
    let first = c * CHUNK + t * ITEMS;
    var pre: array<f32, ${SCAN_ITEMS}>;
    var acc: f32 = 0.0;
    for (var j: u32 = 0u; j < ITEMS; j = j + 1u) {
      let i = first + j;
      if (i < len) {
        if (j == 0u) {
          acc = xs[i];
        } else {
          acc = acc + xs[i];
        }
      }
      pre[j] = acc;
    }
    sums[t] = acc;
    workgroupBarrier();
    for (var off: u32 = 1u; off < THREADS; off = off * 2u) {
      var other: f32 = 0.0;
      if (t >= off) {
        other = sums[t - off];
      }
      workgroupBarrier();
      if (t >= off) {
        sums[t] = sums[t] + other;
      }
      workgroupBarrier();
    }
    var base: f32 = carry;
    if (t > 0u) {
      base = carry + sums[t - 1u];
    }
    for (var j: u32 = 0u; j < ITEMS; j = j + 1u) {
      let i = first + j;
      if (i < len) {
        out[i] = base + pre[j];
      }
    }
    carry = carry + sums[THREADS - 1u];
    workgroupBarrier();
  }
}
`;

const STAGE = "simd/scan";

function checkScanInput(input: ScanInput): Float32Array {
  checkObject(STAGE, input, "{ xs: Float32Array }");
  return checkF32(STAGE, "xs", input.xs);
}

/** The kernel's f32 additions in its order (Float32Array stores round each one). */
export function scanReference(input: ScanInput): Float32Array {
  const xs = checkScanInput(input);
  const len = xs.length;
  const out = new Float32Array(len);
  const pre = new Float32Array(SCAN_CHUNK);
  const sums = new Float32Array(SCAN_THREADS);
  let carry = 0;
  for (let c0 = 0; c0 < len; c0 += SCAN_CHUNK) {
    for (let t = 0; t < SCAN_THREADS; t++) {
      const first = c0 + t * SCAN_ITEMS;
      let acc = 0;
      for (let j = 0; j < SCAN_ITEMS; j++) {
        const i = first + j;
        if (i < len) acc = j === 0 ? xs[i]! : Math.fround(acc + xs[i]!);
        pre[t * SCAN_ITEMS + j] = acc;
      }
      sums[t] = acc;
    }
    // Hillis-Steele: going down from the top, sums[t - off] still holds the previous level.
    for (let off = 1; off < SCAN_THREADS; off *= 2) {
      for (let t = SCAN_THREADS - 1; t >= off; t--) sums[t] = sums[t]! + sums[t - off]!;
    }
    const end = Math.min(c0 + SCAN_CHUNK, len);
    for (let i = c0; i < end; i++) {
      const t = (i - c0) >> 2;
      const base = t > 0 ? Math.fround(carry + sums[t - 1]!) : carry;
      out[i] = base + pre[i - c0]!;
    }
    carry = Math.fround(carry + sums[SCAN_THREADS - 1]!);
  }
  return out;
}

/** How many rounded additions an element passes through on its way to out[i]. */
export function scanDepth(i: number): number {
  return 13 + Math.floor(i / SCAN_CHUNK);
}

/**
 * Per element, a bound on |scan(xs)[i] − (xs[0] + ... + xs[i])| (exact real sums of the f32
 * elements) for `run` and for the kernel on any conforming GPU: γ_d · Σ_{j≤i} |xs[j]| with
 * d = scanDepth(i) (Higham §4.2), plus a generous 2·(i + 1 + 2048·(chunk + 1))·2⁻¹²⁶ for a GPU
 * that flushes subnormals to zero. Finite xs whose sums do not overflow f32 only.
 */
export function scanTolerance(xs: Float32Array): Float64Array {
  const bound = new Float64Array(xs.length);
  let abs = 0;
  for (let i = 0; i < xs.length; i++) {
    abs += Math.abs(xs[i]!);
    const chunk = Math.floor(i / SCAN_CHUNK);
    bound[i] = gamma(scanDepth(i)) * abs + 2 * (i + 1 + 2048 * (chunk + 1)) * F32_MIN_NORMAL;
  }
  return bound;
}

// Cost of `run` on the reference machine (2 cores, Node 20), measured by
// kernels/calibrate.ts: after a warm-up, the median of 7 timed calls for xs.length = 2^12 to
// 2^22, fitted as a + c·n (n = encoded input bytes, 4 per element) by least squares on
// relative error: c = 1.8e-6..1.9e-6 ms/byte (~7.5 ns per element: the Hillis-Steele steps
// cost more than the additions that matter). The output is as long as the input.
export const scan = defineStage({
  name: "simd/scan",
  version: 1,
  caps: ["simd"],
  timeoutMs: 30_000,
  cost: {
    runtimeMs: (n) => 0.001 + 1.9e-6 * n,
    outputBytes: (n) => n,
  },
  kernel: {
    wgsl: SCAN_WGSL,
    entryPoint: "scan",
    bind: (input: ScanInput) => {
      const xs = checkScanInput(input);
      checkBufferLength(STAGE, "xs", xs.length);
      return {
        inputs: [xs],
        output: { type: "f32", length: xs.length },
        params: [xs.length],
        workgroups: [1, 1, 1],
      };
    },
    read: (output, input: ScanInput) => checkOutput<Float32Array>(STAGE, output, "f32", input.xs.length),
  },
  run: scanReference,
});

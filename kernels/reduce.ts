/**
 * simd/reduce@1: the sum, minimum or maximum of a Float32Array, as a number (an f32 value).
 *
 *   input   { op: "sum" | "min" | "max", xs: Float32Array }
 *   output  number; for an empty xs: sum 0, min +Infinity, max -Infinity
 *
 * The kernel is one workgroup of 256 invocations, so it is correct for any length (0, and
 * lengths that are not multiples of 256, included): invocation t takes xs[t] and combines it,
 * in order, with xs[t + 256], xs[t + 512], ...; then a tree in workgroup memory combines
 * partial[t] with partial[t + s] for s = 128, 64, ..., 1, skipping partials that received no
 * element (t + s ≥ length). `run` does exactly these f32 operations in this order, so the sum
 * agrees with the kernel bit for bit (WGSL's f32 addition is correctly rounded), up to a GPU
 * flushing subnormals to zero; `sumTolerance` bounds both against the exact sum. min and max
 * compare (`x <= y ? x : y`) rather than call WGSL's min/max, which leave ±0 unspecified; with
 * NaN or ±Infinity in xs a GPU's result is unspecified (WGSL may assume finite values).
 *
 * An empty xs never reaches the kernel's output: `read` answers the identity itself.
 *
 * Bindings: 0 xs, 1 out (f32, 1), 2 params [op code (REDUCE_OPS index), length].
 * Workgroups [1, 1, 1].
 */
import { defineStage } from "../core/index.ts";
import { F32_MIN_NORMAL, checkBufferLength, checkF32, checkObject, checkOutput, describe, gamma } from "./common.ts";

export const REDUCE_OPS = ["sum", "min", "max"] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];
export type ReduceInput = { readonly op: ReduceOp; readonly xs: Float32Array };

/** Invocations in the reduction's single workgroup (a power of two, for the tree). */
export const REDUCE_THREADS = 256;

export const REDUCE_WGSL = /* wgsl */ `
// One workgroup: strided partials, then a tree in workgroup memory (see kernels/reduce.ts).
struct Params {
  op: u32,
  len: u32,
}

@group(0) @binding(0) var<storage, read> xs: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

const THREADS: u32 = ${REDUCE_THREADS}u;
var<workgroup> partial: array<f32, ${REDUCE_THREADS}>;

fn combine(op: u32, x: f32, y: f32) -> f32 {
  switch op {
    case 1u: { return select(y, x, x <= y); }
    case 2u: { return select(y, x, x >= y); }
    default: { return x + y; }
  }
}

@compute @workgroup_size(${REDUCE_THREADS})
fn reduce(@builtin(local_invocation_index) t: u32) {
  let len = params.len;
  let op = params.op;
  var acc: f32 = 0.0;
  if (t < len) {
    acc = xs[t];
    for (var i: u32 = t + THREADS; i < len; i = i + THREADS) {
      acc = combine(op, acc, xs[i]);
    }
  }
  partial[t] = acc;
  workgroupBarrier();
  for (var s: u32 = THREADS / 2u; s > 0u; s = s / 2u) {
    if (t < s && t + s < len) {
      partial[t] = combine(op, partial[t], partial[t + s]);
    }
    workgroupBarrier();
  }
  if (t == 0u && len > 0u) {
    out[0] = partial[0];
  }
}
`;

const STAGE = "simd/reduce";

function checkReduceInput(input: ReduceInput): number {
  checkObject(STAGE, input, "{ op: \"sum\" | \"min\" | \"max\", xs: Float32Array }");
  const { op, xs } = input;
  if (typeof op !== "string") throw new TypeError(`${STAGE}: op must be a string, got ${describe(op)}`);
  const code = (REDUCE_OPS as readonly string[]).indexOf(op);
  if (code < 0) throw new RangeError(`${STAGE}: op must be one of ${REDUCE_OPS.join(", ")}, got ${describe(op)}`);
  checkF32(STAGE, "xs", xs);
  return code;
}

/** The result for an empty xs. */
export function reduceIdentity(op: ReduceOp): number {
  return op === "sum" ? 0 : op === "min" ? Infinity : -Infinity;
}

/** The kernel's f32 operations, in its order: partial[t] ∘= xs[i] for i ≡ t (mod 256), then the tree. */
export function reduceReference(input: ReduceInput): number {
  const code = checkReduceInput(input);
  const { op, xs } = input;
  const len = xs.length;
  if (len === 0) return reduceIdentity(op);
  // Float32Array stores round each result to f32. Walking xs in order, partial[i % 256] sees
  // its elements in the same order as invocation t's strided loop, and reads xs sequentially.
  const partial = new Float32Array(REDUCE_THREADS);
  const first = Math.min(len, REDUCE_THREADS);
  for (let t = 0; t < first; t++) partial[t] = xs[t]!;
  const mask = REDUCE_THREADS - 1;
  if (code === 0) {
    for (let i = REDUCE_THREADS; i < len; i++) partial[i & mask] = partial[i & mask]! + xs[i]!;
  } else if (code === 1) {
    for (let i = REDUCE_THREADS; i < len; i++) {
      const x = partial[i & mask]!;
      const y = xs[i]!;
      partial[i & mask] = x <= y ? x : y;
    }
  } else {
    for (let i = REDUCE_THREADS; i < len; i++) {
      const x = partial[i & mask]!;
      const y = xs[i]!;
      partial[i & mask] = x >= y ? x : y;
    }
  }
  for (let s = REDUCE_THREADS >> 1; s > 0; s >>= 1) {
    for (let t = 0; t < s && t + s < len; t++) {
      const x = partial[t]!;
      const y = partial[t + s]!;
      partial[t] = code === 0 ? x + y : code === 1 ? (x <= y ? x : y) : x >= y ? x : y;
    }
  }
  return partial[0]!;
}

/**
 * How many rounded additions an element of an xs of this length passes through in the sum:
 * ceil(length / 256) − 1 in its invocation's strided loop, then at most log2(256) = 8 in the
 * tree.
 */
export function sumDepth(length: number): number {
  return length === 0 ? 0 : Math.ceil(length / REDUCE_THREADS) - 1 + Math.log2(REDUCE_THREADS);
}

/**
 * A bound on |reduce-sum(xs) − Σ xs| (the exact real sum of the f32 elements), for `run` and for
 * the kernel on any conforming GPU: γ_d · Σ|xs[i]| with d = sumDepth(xs.length) (Higham §4.2),
 * plus 4·length·2⁻¹²⁶ for a GPU that flushes subnormal inputs and results to zero (each flush
 * loses at most 2⁻¹²⁶). Two results that each meet it are within twice it of each other; with
 * the same order of additions, `run` and the kernel are expected to be bit-equal. Finite xs
 * whose sum does not overflow f32 only.
 */
export function sumTolerance(xs: Float32Array): number {
  let abs = 0;
  for (let i = 0; i < xs.length; i++) abs += Math.abs(xs[i]!);
  return gamma(sumDepth(xs.length)) * abs + 4 * xs.length * F32_MIN_NORMAL;
}

// Cost of `run` on the reference machine (2 cores, Node 20), measured by
// kernels/calibrate.ts: after a warm-up, the median of 7 timed calls for xs.length = 2^12 to
// 2^22, each op, fitted as a + c·n (n = encoded input bytes, 4 per element) by least squares
// on relative error: c = 4.1e-7..4.4e-7 ms/byte for all three ops (~1.7 ns per element). The
// output is one number (a CBOR float64: 9 bytes).
export const reduce = defineStage({
  name: "simd/reduce",
  version: 1,
  caps: ["simd"],
  timeoutMs: 30_000,
  cost: {
    runtimeMs: (n) => 0.001 + 4.4e-7 * n,
    outputBytes: () => 9,
  },
  kernel: {
    wgsl: REDUCE_WGSL,
    entryPoint: "reduce",
    bind: (input: ReduceInput) => {
      const code = checkReduceInput(input);
      checkBufferLength(STAGE, "xs", input.xs.length);
      return {
        inputs: [input.xs],
        output: { type: "f32", length: 1 },
        params: [code, input.xs.length],
        workgroups: [1, 1, 1],
      };
    },
    read: (output, input: ReduceInput) => {
      const out = checkOutput<Float32Array>(STAGE, output, "f32", 1);
      return input.xs.length === 0 ? reduceIdentity(input.op) : out[0]!;
    },
  },
  run: reduceReference,
});

/**
 * simd/map@1: one element-wise f32 operation over a Float32Array.
 *
 *   input   { op, a: Float32Array, b?: Float32Array, k?: number }
 *   output  Float32Array of a.length
 *
 *   op        out[i]                 needs
 *   add       a[i] + b[i]            b (same length as a)
 *   sub       a[i] - b[i]            b
 *   mul       a[i] * b[i]            b
 *   min       a[i] <= b[i] ? a[i] : b[i]   b
 *   max       a[i] >= b[i] ? a[i] : b[i]   b
 *   scale     a[i] * k               k (rounded to f32 first)
 *   offset    a[i] + k               k
 *   neg       -a[i]
 *   abs       |a[i]|
 *   relu      a[i] > 0 ? a[i] : 0
 *   square    a[i] * a[i]
 *
 * Every op is one correctly rounded f32 operation (or exact), so the kernel and `run` agree
 * bit for bit on finite inputs, up to a GPU flushing subnormals to zero. NaN and ±Infinity:
 * `run` follows IEEE 754, but WGSL lets an implementation assume they never occur, so a GPU's
 * results for them are unspecified. min, max and relu are written as comparisons (not WGSL's
 * min/max, which leave ±0 unspecified) so both sides pick the same operand.
 *
 * Bindings: 0 a, 1 b (an empty array when the op takes none), 2 out (f32, a.length),
 * 3 params [op code (MAP_OPS index), length, f32 bits of k]. Workgroups of 256 invocations,
 * one element each, laid out by `grid` (x up to 65,535, then y).
 */
import { defineStage } from "../core/index.ts";
import { checkBufferLength, checkF32, checkF32Number, checkObject, checkOutput, describe, f32Bits, grid } from "./common.ts";

/** The ops, in op-code order (the kernel's `switch` uses these indices). */
export const MAP_OPS = ["add", "sub", "mul", "min", "max", "scale", "offset", "neg", "abs", "relu", "square"] as const;
export type MapOp = (typeof MAP_OPS)[number];
/** Ops that take `b`, and ops that take `k`; the rest take only `a`. */
export const BINARY_MAP_OPS: readonly MapOp[] = ["add", "sub", "mul", "min", "max"];
export const SCALAR_MAP_OPS: readonly MapOp[] = ["scale", "offset"];

export type MapInput = {
  readonly op: MapOp;
  readonly a: Float32Array;
  /** For add, sub, mul, min, max: as long as `a`. */
  readonly b?: Float32Array;
  /** For scale and offset: rounded to f32. */
  readonly k?: number;
};

export const MAP_THREADS = 256;

export const MAP_WGSL = /* wgsl */ `
// out[i] = op(a[i], b[i] or k) for i < len; see kernels/map.ts for the ops.
struct Params {
  op: u32,
  len: u32,
  k_bits: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const THREADS: u32 = ${MAP_THREADS}u;

@compute @workgroup_size(${MAP_THREADS})
fn map(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * THREADS + lid;
  if (i >= params.len) {
    return;
  }
  let x = a[i];
  let k = bitcast<f32>(params.k_bits);
  var y: f32 = x;
  switch params.op {
    case 0u: { y = x + b[i]; }
    case 1u: { y = x - b[i]; }
    case 2u: { y = x * b[i]; }
    case 3u: { let z = b[i]; y = select(z, x, x <= z); }
    case 4u: { let z = b[i]; y = select(z, x, x >= z); }
    case 5u: { y = x * k; }
    case 6u: { y = x + k; }
    case 7u: { y = -x; }
    case 8u: { y = abs(x); }
    case 9u: { y = select(0.0, x, x > 0.0); }
    case 10u: { y = x * x; }
    default: {}
  }
  out[i] = y;
}
`;

const STAGE = "simd/map";
const SHAPE = "{ op, a: Float32Array, b?: Float32Array, k?: number }";

/** Validates the input; returns the op's code and k as an f32 value (0 when the op takes none). */
function checkMapInput(input: MapInput): { code: number; k: number } {
  checkObject(STAGE, input, SHAPE);
  const { op, a, b, k } = input;
  if (typeof op !== "string") throw new TypeError(`${STAGE}: op must be a string, got ${describe(op)}`);
  const code = (MAP_OPS as readonly string[]).indexOf(op);
  if (code < 0) throw new RangeError(`${STAGE}: op must be one of ${MAP_OPS.join(", ")}, got ${describe(op)}`);
  checkF32(STAGE, "a", a);
  if (BINARY_MAP_OPS.includes(op)) {
    checkF32(STAGE, "b", b);
    if (b!.length !== a.length) throw new RangeError(`${STAGE}: b must be as long as a (${a.length}) for op "${op}", got ${b!.length}`);
  } else if (b !== undefined) {
    throw new TypeError(`${STAGE}: op "${op}" takes no b`);
  }
  if (SCALAR_MAP_OPS.includes(op)) return { code, k: checkF32Number(STAGE, "k", k) };
  if (k !== undefined) throw new TypeError(`${STAGE}: op "${op}" takes no k`);
  return { code, k: 0 };
}

/**
 * The CPU reference: each op in f64 on f32 values, rounded to f32 by the Float32Array store.
 * For +, −, × of two f32 values that is the correctly rounded f32 result (f64 has more than
 * 2·24 + 2 bits, so rounding twice is innocuous), as WGSL's f32 operations are.
 */
export function mapReference(input: MapInput): Float32Array {
  const { k } = checkMapInput(input);
  const { op, a } = input;
  const b = input.b ?? a;
  const out = new Float32Array(a.length);
  const n = a.length;
  switch (op) {
    case "add":
      for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
      break;
    case "sub":
      for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
      break;
    case "mul":
      for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
      break;
    case "min":
      for (let i = 0; i < n; i++) out[i] = a[i]! <= b[i]! ? a[i]! : b[i]!;
      break;
    case "max":
      for (let i = 0; i < n; i++) out[i] = a[i]! >= b[i]! ? a[i]! : b[i]!;
      break;
    case "scale":
      for (let i = 0; i < n; i++) out[i] = a[i]! * k;
      break;
    case "offset":
      for (let i = 0; i < n; i++) out[i] = a[i]! + k;
      break;
    case "neg":
      for (let i = 0; i < n; i++) out[i] = -a[i]!;
      break;
    case "abs":
      for (let i = 0; i < n; i++) out[i] = Math.abs(a[i]!);
      break;
    case "relu":
      for (let i = 0; i < n; i++) out[i] = a[i]! > 0 ? a[i]! : 0;
      break;
    case "square":
      for (let i = 0; i < n; i++) out[i] = a[i]! * a[i]!;
      break;
  }
  return out;
}

// Cost of `run` on the reference machine (2 cores, Node 20), measured by
// kernels/calibrate.ts: after a warm-up, the median of 7 timed calls for a.length = 2^12 to
// 2^22, each op, fitted as a + c·n (n = encoded input bytes) by least squares on relative
// error. The slowest op per byte sets c: relu on random signs (a mispredicted branch per
// element, ~2 ns) at 5.2e-7..6e-7 ms/byte; neg, abs, square, scale, offset ~4e-7; the binary
// ops 2.4e-7 (add, sub, mul) to 3.4e-7 (min, max). The output is a.length floats: about n
// bytes for a unary op, n/2 for a binary one; the model says n.
export const map = defineStage({
  name: "simd/map",
  version: 1,
  caps: ["simd"],
  timeoutMs: 30_000,
  cost: {
    runtimeMs: (n) => 0.01 + 6e-7 * n,
    outputBytes: (n) => n,
  },
  kernel: {
    wgsl: MAP_WGSL,
    entryPoint: "map",
    bind: (input: MapInput) => {
      const { code, k } = checkMapInput(input);
      const { a, b } = input;
      checkBufferLength(STAGE, "a", a.length);
      return {
        inputs: [a, b ?? new Float32Array(0)],
        output: { type: "f32", length: a.length },
        params: [code, a.length, f32Bits(k)],
        workgroups: grid(Math.ceil(a.length / MAP_THREADS)),
      };
    },
    read: (output, input: MapInput) => checkOutput<Float32Array>(STAGE, output, "f32", input.a.length),
  },
  run: mapReference,
});

/**
 * simd/matmul@1: C = A·B for a general m×k matrix A and k×n matrix B, f32, row-major.
 *
 *   input   { a: Float32Array (m·k), b: Float32Array (k·n), m, k, n }
 *   output  Float32Array (m·n), row-major
 *
 * The kernel tiles C into 16×16 blocks, one per workgroup of 16×16 invocations
 * (@workgroup_size(16, 16)), dispatched as [ceil(n/16), ceil(m/16), 1]: invocation (x, y) of
 * workgroup (wx, wy) computes C[wy·16 + y][wx·16 + x]. A and B pass through workgroup memory
 * one 16×16 tile at a time; each entry adds the products A[i][p]·B[p][j] for p = 0, 1, ...,
 * k − 1 in that order, starting from +0 (tile padding adds 0·0, which changes nothing).
 * `run` rounds every product and every sum to f32 in the same order, so the two agree bit for
 * bit unless the GPU compiler fuses a multiply-add; either way both are within
 * `matmulTolerance` of the exact product.
 *
 * Limits: m·k·n at most MAX_MULTIPLY_ADDS (2³⁵) per call, so a call fits its timeout; for a
 * GPU (checked by `bind`), m and n at most 65,535·16 = 1,048,560 (the workgroup grid), and A,
 * B and C at most MAX_ELEMENTS floats each.
 *
 * Bindings: 0 a, 1 b, 2 c (f32, m·n), 3 params [m, k, n].
 */
import { defineStage } from "../core/index.ts";
import { F32_MIN_NORMAL, MAX_WORKGROUPS, checkBufferLength, checkF32, checkInteger, checkObject, checkOutput, gamma } from "./common.ts";

export type MatmulInput = {
  /** m×k, row-major. */
  readonly a: Float32Array;
  /** k×n, row-major. */
  readonly b: Float32Array;
  readonly m: number;
  readonly k: number;
  readonly n: number;
};

/** Tile edge: one workgroup computes a TILE×TILE block of C. */
export const MATMUL_TILE = 16;

export const MATMUL_WGSL = /* wgsl */ `
// C (m x n) = A (m x k) * B (k x n), row-major f32, in 16 x 16 tiles (see kernels/matmul.ts).
struct Params {
  m: u32,
  k: u32,
  n: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const TILE: u32 = ${MATMUL_TILE}u;
var<workgroup> tile_a: array<array<f32, ${MATMUL_TILE}>, ${MATMUL_TILE}>;
var<workgroup> tile_b: array<array<f32, ${MATMUL_TILE}>, ${MATMUL_TILE}>;

@compute @workgroup_size(${MATMUL_TILE}, ${MATMUL_TILE})
fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m = params.m;
  let k = params.k;
  let n = params.n;
  let row = wid.y * TILE + lid.y;
  let col = wid.x * TILE + lid.x;
  let tiles = (k + TILE - 1u) / TILE;
  var acc: f32 = 0.0;
  for (var t: u32 = 0u; t < tiles; t = t + 1u) {
    let ka = t * TILE + lid.x;
    let kb = t * TILE + lid.y;
    var va: f32 = 0.0;
    if (row < m && ka < k) {
      va = a[row * k + ka];
    }
    var vb: f32 = 0.0;
    if (kb < k && col < n) {
      vb = b[kb * n + col];
    }
    tile_a[lid.y][lid.x] = va;
    tile_b[lid.y][lid.x] = vb;
    workgroupBarrier();
    for (var p: u32 = 0u; p < TILE; p = p + 1u) {
      acc = acc + tile_a[lid.y][p] * tile_b[p][lid.x];
    }
    workgroupBarrier();
  }
  if (row < m && col < n) {
    c[row * n + col] = acc;
  }
}
`;

const STAGE = "simd/matmul";
const MAX_SIDE = MAX_WORKGROUPS * MATMUL_TILE;
/** Entries of C that `run` will allocate (4 GiB of f32); `bind` allows MAX_ELEMENTS. */
const MAX_PRODUCT = 2 ** 30;
/**
 * The most multiply-adds (m·k·n) one call may ask for: 2³⁵, ~70 s of `run` on the reference
 * machine (square matrices of side 3251), which keeps every call inside the timeout on any
 * backend at least as fast. Split larger products into blocks, one call each.
 */
export const MAX_MULTIPLY_ADDS = 2 ** 35;

function checkMatmulInput(input: MatmulInput): void {
  checkObject(STAGE, input, "{ a, b, m, k, n }");
  const { a, b } = input;
  const m = checkInteger(STAGE, "m", input.m, 0, Number.MAX_SAFE_INTEGER);
  const k = checkInteger(STAGE, "k", input.k, 0, Number.MAX_SAFE_INTEGER);
  const n = checkInteger(STAGE, "n", input.n, 0, Number.MAX_SAFE_INTEGER);
  checkF32(STAGE, "a", a);
  checkF32(STAGE, "b", b);
  if (a.length !== m * k) throw new RangeError(`${STAGE}: a must hold m*k = ${m * k} floats, got ${a.length}`);
  if (b.length !== k * n) throw new RangeError(`${STAGE}: b must hold k*n = ${k * n} floats, got ${b.length}`);
  if (m * n > MAX_PRODUCT) throw new RangeError(`${STAGE}: the product would hold m*n = ${m * n} floats; at most ${MAX_PRODUCT}`);
  if (m * k * n > MAX_MULTIPLY_ADDS) {
    throw new RangeError(`${STAGE}: m*k*n = ${m * k * n} multiply-adds is more than one call may do (${MAX_MULTIPLY_ADDS}, ~70 s on the reference CPU); split the product into blocks`);
  }
}

/**
 * The CPU reference, blocked like the kernel (which also keeps the loops cache-friendly):
 * C[i][j] accumulates fround(A[i][p]·B[p][j]) for p = 0, 1, ..., k − 1 in that order, each
 * sum rounded to f32 by the Float32Array store.
 */
export function matmulReference(input: MatmulInput): Float32Array {
  checkMatmulInput(input);
  const { a, b, m, k, n } = input;
  const c = new Float32Array(m * n);
  const T = MATMUL_TILE;
  for (let i0 = 0; i0 < m; i0 += T) {
    const iEnd = Math.min(i0 + T, m);
    for (let p0 = 0; p0 < k; p0 += T) {
      const pEnd = Math.min(p0 + T, k);
      for (let j0 = 0; j0 < n; j0 += T) {
        const jEnd = Math.min(j0 + T, n);
        for (let i = i0; i < iEnd; i++) {
          for (let p = p0; p < pEnd; p++) {
            const aip = a[i * k + p]!;
            for (let j = j0; j < jEnd; j++) c[i * n + j] = c[i * n + j]! + Math.fround(aip * b[p * n + j]!);
          }
        }
      }
    }
  }
  return c;
}

/**
 * Per entry of C, a bound on |computed − exact| for `run` and for the kernel on any conforming
 * GPU (fused multiply-adds included): γ_k · Σ_p |A[i][p]·B[p][j]| (Higham §3.1), plus
 * (2k + 1)·2⁻¹²⁶ for a GPU that flushes subnormals to zero. Finite inputs without overflow only.
 */
export function matmulTolerance(input: MatmulInput): Float64Array {
  const { a, b, m, k, n } = input;
  const bound = new Float64Array(m * n);
  const g = gamma(k);
  const slack = (2 * k + 1) * F32_MIN_NORMAL;
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = Math.abs(a[i * k + p]!);
      for (let j = 0; j < n; j++) bound[i * n + j] = bound[i * n + j]! + aip * Math.abs(b[p * n + j]!);
    }
    for (let j = 0; j < n; j++) bound[i * n + j] = g * bound[i * n + j]! + slack;
  }
  return bound;
}

/** The side N of square matrices whose encoded pair takes n bytes (2·N² floats, ~30 bytes of framing). */
const squareSide = (n: number): number => Math.sqrt(Math.max(0, n - 32) / 8);

// Cost of `run` on the reference machine (2 cores, Node 20), measured by
// kernels/calibrate.ts: after a warm-up, the median of 5 timed calls for square matrices of
// side N = 64..512 (0.5 ms to 280 ms), fitted as a + c·N³ by least squares on relative error:
// c = 2.04e-6..2.06e-6 ms (~2 ns per multiply-add), within 4% at every size. The model sees
// only n, so it assumes square inputs, N = sqrt(n/8); m×k by k×n costs about c·m·k·n.
// Output: N² floats, 4 bytes each plus CBOR framing.
export const matmul = defineStage({
  name: "simd/matmul",
  version: 1,
  caps: ["simd"],
  timeoutMs: 120_000,
  cost: {
    runtimeMs: (n) => 0.001 + 2.06e-6 * squareSide(n) ** 3,
    outputBytes: (n) => 4 * squareSide(n) ** 2 + 5,
  },
  kernel: {
    wgsl: MATMUL_WGSL,
    entryPoint: "matmul",
    bind: (input: MatmulInput) => {
      checkMatmulInput(input);
      const { a, b, m, k, n } = input;
      if (m > MAX_SIDE || n > MAX_SIDE) throw new RangeError(`${STAGE}: m and n must be at most ${MAX_SIDE} on a GPU (65,535 workgroups of ${MATMUL_TILE}), got m = ${m}, n = ${n}`);
      checkBufferLength(STAGE, "a", a.length);
      checkBufferLength(STAGE, "b", b.length);
      checkBufferLength(STAGE, "the product", m * n);
      return {
        inputs: [a, b],
        output: { type: "f32", length: m * n },
        params: [m, k, n],
        workgroups: [Math.max(1, Math.ceil(n / MATMUL_TILE)), Math.max(1, Math.ceil(m / MATMUL_TILE)), 1],
      };
    },
    read: (output, input: MatmulInput) => checkOutput<Float32Array>(STAGE, output, "f32", input.m * input.n),
  },
  run: matmulReference,
});

/**
 * A numeric pipeline of SIMD stages: C = A·B for n×n matrices, then the sum of C's entries.
 *
 * A SIMD stage carries a WGSL compute kernel (what a gpu-runner dispatches) and a `run`,
 * its CPU reference with the same semantics. Both compute in f32: the CPU side rounds every
 * product and every partial sum with Math.fround, in the same order the kernel adds them,
 * so a GPU result can be checked against `run` closely (see each stage for how closely).
 *
 * GPU BINDING CONVENTION (what a gpu-runner must do to dispatch these kernels):
 *
 *   @group(0) @binding(0 .. k-1)  the input's typed arrays as `var<storage, read>`, in the
 *                                 order of the input object's typed-array fields (a, b for
 *                                 matmul); a bare typed-array input is binding 0 on its own.
 *   @group(0) @binding(k)         the output, `var<storage, read_write>` array of f32,
 *                                 zero-filled. Its element count (OUTPUT LENGTH below) is per
 *                                 stage; a typed-array output is read back whole, a number
 *                                 output is element 0.
 *   @group(0) @binding(k+1)       `var<uniform>` params: u32 values, first the input object's
 *                                 number fields in key order (n for matmul), then the element
 *                                 count of each typed-array input in binding order. The buffer
 *                                 is zero-padded to a multiple of 16 bytes.
 *
 *   Buffer sizes are rounded up to a multiple of 4 bytes and to at least 16 bytes (WebGPU
 *   cannot bind an empty buffer): an empty input still gets a buffer, and its true length
 *   is in params. Dispatch `kernel.dispatch(input)` workgroups of `kernel.workgroupSize`
 *   invocations (1-D; a kernel that thinks in 2-D tiles derives its tile coordinates from the
 *   1-D index).
 *
 *   stage                         bindings                    params               OUTPUT LENGTH
 *   numeric-pipeline/matmul       0:a 1:b 2:out 3:params     [n, len(a), len(b)]  n*n
 *   numeric-pipeline/sum          0:xs 1:out 2:params        [len(xs)]            1
 *
 * examples/gpu-check.mjs dispatches both kernels this way on a real WebGPU implementation and
 * compares them with `run`: on Dawn over Mesa's llvmpipe Vulkan driver both agree with the CPU
 * reference bit for bit (matmul for n = 1..100, sum for 0..100,000 elements).
 */
import { type Step, defineJob, defineStage } from "paxflow";

export type MatmulInput = {
  /** n×n, row-major. */
  readonly a: Float32Array;
  /** n×n, row-major. */
  readonly b: Float32Array;
  readonly n: number;
};

/** Tile edge of the matmul kernel: one workgroup computes a TILE×TILE block of C. */
export const TILE = 16;
/** Invocations in the sum kernel's single workgroup (a power of two, for the tree reduction). */
export const SUM_THREADS = 256;

export const MATMUL_WGSL = /* wgsl */ `
// C = A * B for n x n row-major f32 matrices, in TILE x TILE tiles staged through workgroup
// memory. Invocation (ty, tx) of workgroup (wx, wy) computes C[wy*TILE + ty][wx*TILE + tx],
// adding the products in k order 0, 1, ..., n-1 (padding beyond n adds 0.0).
struct Params {
  n: u32,
  a_len: u32,
  b_len: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const TILE: u32 = ${TILE}u;
var<workgroup> tile_a: array<f32, ${TILE * TILE}>;
var<workgroup> tile_b: array<f32, ${TILE * TILE}>;

@compute @workgroup_size(${TILE * TILE})
fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = params.n;
  let ty = lid / TILE;
  let tx = lid % TILE;
  let row = wid.y * TILE + ty;
  let col = wid.x * TILE + tx;
  let tiles = (n + TILE - 1u) / TILE;
  var acc: f32 = 0.0;
  for (var t: u32 = 0u; t < tiles; t = t + 1u) {
    let ka = t * TILE + tx;
    let kb = t * TILE + ty;
    var va: f32 = 0.0;
    if (row < n && ka < n) {
      va = a[row * n + ka];
    }
    var vb: f32 = 0.0;
    if (kb < n && col < n) {
      vb = b[kb * n + col];
    }
    tile_a[lid] = va;
    tile_b[lid] = vb;
    workgroupBarrier();
    for (var k: u32 = 0u; k < TILE; k = k + 1u) {
      acc = acc + tile_a[ty * TILE + k] * tile_b[k * TILE + tx];
    }
    workgroupBarrier();
  }
  if (row < n && col < n) {
    c[row * n + col] = acc;
  }
}
`;

export const SUM_WGSL = /* wgsl */ `
// The sum of xs in one workgroup of THREADS invocations: invocation t first adds
// xs[t], xs[t + THREADS], xs[t + 2*THREADS], ... in that order; then the partial sums are
// combined by a tree, partial[t] += partial[t + s] for s = THREADS/2, ..., 2, 1.
struct Params {
  len: u32,
}

@group(0) @binding(0) var<storage, read> xs: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

const THREADS: u32 = ${SUM_THREADS}u;
var<workgroup> partial: array<f32, ${SUM_THREADS}>;

@compute @workgroup_size(${SUM_THREADS})
fn sum(@builtin(local_invocation_index) t: u32) {
  var acc: f32 = 0.0;
  for (var i: u32 = t; i < params.len; i = i + THREADS) {
    acc = acc + xs[i];
  }
  partial[t] = acc;
  workgroupBarrier();
  for (var s: u32 = THREADS / 2u; s > 0u; s = s / 2u) {
    if (t < s) {
      partial[t] = partial[t] + partial[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    out[0] = partial[0];
  }
}
`;

function checkMatmulInput({ a, b, n }: MatmulInput): void {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!(a instanceof Float32Array) || !(b instanceof Float32Array)) throw new TypeError("a and b must be Float32Arrays");
  if (a.length !== n * n || b.length !== n * n) throw new RangeError(`a and b must hold n*n = ${n * n} floats, got ${a.length} and ${b.length}`);
}

/**
 * CPU reference of MATMUL_WGSL, tiled the same way (it also keeps the three loops
 * cache-friendly). C[i][j] accumulates A[i][k]·B[k][j] for k = 0, 1, ..., n-1 in that order,
 * each product and each sum rounded to f32: the kernel's order, so results agree to the last
 * bit unless the GPU compiler fuses a multiply-add (then within a few ulps per entry).
 */
export function matmulReference({ a, b, n }: MatmulInput): Float32Array {
  const c = new Float32Array(n * n);
  for (let i0 = 0; i0 < n; i0 += TILE) {
    for (let k0 = 0; k0 < n; k0 += TILE) {
      for (let j0 = 0; j0 < n; j0 += TILE) {
        const iEnd = Math.min(i0 + TILE, n);
        const kEnd = Math.min(k0 + TILE, n);
        const jEnd = Math.min(j0 + TILE, n);
        for (let i = i0; i < iEnd; i++) {
          for (let k = k0; k < kEnd; k++) {
            const aik = a[i * n + k]!;
            for (let j = j0; j < jEnd; j++) {
              // c is a Float32Array: storing rounds the sum to f32, as the kernel's f32 add does.
              c[i * n + j] = c[i * n + j]! + Math.fround(aik * b[k * n + j]!);
            }
          }
        }
      }
    }
  }
  return c;
}

/**
 * CPU reference of SUM_WGSL: the same strided partial sums and the same tree, every addition
 * rounded to f32, so it reproduces the kernel's result bit for bit (f32 addition is correctly
 * rounded in WGSL; a GPU that flushes subnormals to zero can differ only below ~1e-38).
 */
export function sumReference(xs: Float32Array): number {
  const partial = new Float32Array(SUM_THREADS);
  for (let t = 0; t < SUM_THREADS; t++) {
    let acc = 0;
    for (let i = t; i < xs.length; i += SUM_THREADS) acc = Math.fround(acc + xs[i]!);
    partial[t] = acc;
  }
  for (let s = SUM_THREADS >> 1; s > 0; s >>= 1) {
    for (let t = 0; t < s; t++) partial[t] = partial[t]! + partial[t + s]!;
  }
  return partial[0]!;
}

// Cost models, for the SIMD backend the caps ask for. n = encoded input bytes.
// matmul: the input is two n×n f32 matrices, so N ≈ sqrt(n / 8); 2·N³ flops at an effective
// 50 GFLOP/s (a modest GPU running a shared-memory tiled kernel), plus moving the input in and
// the output (half as many bytes) back at about 8 GB/s, plus ~0.5 ms dispatch overhead.
const matrixSide = (n: number): number => Math.sqrt(Math.max(0, n - 16) / 8);

export const matmul = defineStage({
  name: "numeric-pipeline/matmul",
  version: 1,
  caps: ["simd"],
  timeoutMs: 30_000,
  cost: {
    runtimeMs: (n) => 0.5 + (1.5 * n) / 8e6 + (2 * matrixSide(n) ** 3) / 5e7,
    outputBytes: (n) => Math.ceil(4 * matrixSide(n) ** 2) + 8,
  },
  kernel: {
    wgsl: MATMUL_WGSL,
    entryPoint: "matmul",
    workgroupSize: TILE * TILE,
    dispatch: ({ n }) => [Math.ceil(n / TILE), Math.ceil(n / TILE), 1],
  },
  run: (input: MatmulInput): Float32Array => {
    checkMatmulInput(input);
    return matmulReference(input);
  },
});

// sum: memory-bound, one pass over n bytes at ~8 GB/s plus dispatch overhead; returns one
// number (a CBOR float: at most 9 bytes).
export const sum = defineStage({
  name: "numeric-pipeline/sum",
  version: 1,
  caps: ["simd"],
  timeoutMs: 10_000,
  cost: {
    runtimeMs: (n) => 0.3 + n / 8e6,
    outputBytes: () => 9,
  },
  kernel: {
    wgsl: SUM_WGSL,
    entryPoint: "sum",
    workgroupSize: SUM_THREADS,
    dispatch: () => [1, 1, 1],
  },
  run: (xs: Float32Array): number => {
    if (!(xs instanceof Float32Array)) throw new TypeError("sum takes a Float32Array");
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

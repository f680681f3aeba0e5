/**
 * The two kernels of the numeric pipeline (examples/numeric-pipeline.ts): C = A·B for n×n f32
 * matrices in TILE×TILE tiles, and the sum of a Float32Array in one workgroup, each with its
 * CPU reference (the same order of f32 operations). The product keeps them (not the example):
 * the gpu-runner's samples (gpu-runners/samples.ts) and kernels/calibrate.ts use them too.
 */
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

export function checkMatmulInput({ a, b, n }: MatmulInput): void {
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

export function checkSumInput(xs: Float32Array): void {
  if (!(xs instanceof Float32Array)) throw new TypeError("sum takes a Float32Array");
}

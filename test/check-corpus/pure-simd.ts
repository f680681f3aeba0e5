// expect: none
// SIMD stages: kernels whose bind and read are pure (helpers, local typed arrays, a method, a shorthand kernel), caps include simd.
import { defineStage } from "../../core/index.ts";

const WGSL = `@compute @workgroup_size(64) fn main() {}`;
const WG = 64;

type Saxpy = { a: number; x: Float32Array; y: Float32Array };

/** The f32 bits of x: a local view, nothing shared. */
function bits(x: number): number {
  const u = new Uint32Array(1);
  new Float32Array(u.buffer)[0] = x;
  return u[0]!;
}

function saxpyRun({ a, x, y }: Saxpy): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = a * (x[i] ?? 0) + (y[i] ?? 0);
  return out;
}

export const saxpy = defineStage({
  name: "saxpy", version: 1, caps: ["simd", "gpu", "f16"], timeoutMs: 30_000,
  cost: { runtimeMs: (n) => 0.5 + n * 1e-6, outputBytes: (n) => n / 2 },
  run: saxpyRun,
  kernel: {
    wgsl: WGSL,
    entryPoint: "main",
    bind: ({ a, x, y }) => ({
      inputs: [x, y],
      output: { type: "f32", length: x.length },
      params: [x.length, bits(a)],
      workgroups: [Math.max(1, Math.ceil(x.length / WG)), 1, 1],
    }),
    read(output, input) {
      const copy = Float32Array.from(output);
      return copy.subarray(0, input.x.length);
    },
  },
});

function bindSum(xs: Float32Array) {
  const params: number[] = [];
  params.push(xs.length);
  return { inputs: [xs], output: { type: "f32" as const, length: 1 }, params, workgroups: [1, 1, 1] as [number, number, number] };
}

const kernel = { wgsl: WGSL, entryPoint: "main", bind: bindSum, read: (output: Float32Array | Uint32Array | Int32Array) => output[0] ?? 0 };

export const total = defineStage({
  name: "total", version: 1, caps: ["simd"], timeoutMs: 1_000,
  cost: { runtimeMs: (n) => 0.1 + n * 1e-6, outputBytes: () => 9 },
  run: (xs: Float32Array) => xs.reduce((s, x) => s + x, 0),
  kernel,
});

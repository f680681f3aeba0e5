// expect: none
// A SIMD stage: kernel with a pure dispatch, caps include simd.
import { defineStage } from "../../core/index.ts";

const WGSL = `@compute @workgroup_size(64) fn main() {}`;
const WG = 64;

export const saxpy = defineStage({
  name: "saxpy", version: 1, caps: ["simd", "gpu", "f16"], timeoutMs: 30_000,
  cost: { runtimeMs: (n) => 0.5 + n * 1e-6, outputBytes: (n) => n / 2 },
  run: ({ a, x, y }: { a: number; x: Float32Array; y: Float32Array }) => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = a * (x[i] ?? 0) + (y[i] ?? 0);
    return out;
  },
  kernel: {
    wgsl: WGSL,
    entryPoint: "main",
    workgroupSize: WG,
    dispatch: (input) => [Math.ceil(input.x.length / WG), 1, 1],
  },
});

// expect: stage/caps@8 stage/caps@9 stage/caps@10 stage/caps@11 stage/caps@13
// caps: unknown tag, empty list, missing, not an array, a kernel without "simd".
import { defineStage } from "../../core/index.ts";

const cost = { runtimeMs: () => 1, outputBytes: () => 1 };
const run = (x: number) => x;

export const typo = defineStage({ name: "typo", version: 1, caps: ["cpu", "gpgpu" as never], timeoutMs: 10, cost, run });
export const none = defineStage({ name: "none", version: 1, caps: [], timeoutMs: 10, cost, run });
export const missing = defineStage({ name: "missing", version: 1, timeoutMs: 10, cost, run } as never);
export const str = defineStage({ name: "str", version: 1, caps: "cpu" as never, timeoutMs: 10, cost, run });
export const kernelNoSimd = defineStage({
  name: "kernel-no-simd", version: 1, caps: ["gpu"], timeoutMs: 10, cost, run,
  kernel: { wgsl: "", entryPoint: "main", bind: (x: number) => ({ inputs: [], output: { type: "f32", length: 1 }, params: [x], workgroups: [1, 1, 1] }), read: (out) => out[0] ?? 0 },
});

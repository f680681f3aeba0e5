// expect: none
// Inclusive prefix sums: `new Float64Array(input)` copies the input, then the copy is written in place.
import { defineStage } from "../../../core/index.ts";

export const prefixSum = defineStage({
  name: "pure-prefix-sum", version: 1, caps: ["cpu", "simd"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => (bytes / 8) * 1e-6, outputBytes: (bytes) => bytes },
  run: (xs: Float64Array) => {
    const out = new Float64Array(xs);
    for (let i = 1; i < out.length; i++) out[i] = out[i]! + out[i - 1]!;
    return out;
  },
});

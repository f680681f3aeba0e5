// expect: none
// Z-score normalisation of a signal: copy with `new Float32Array(input)`, then subtract mean and divide by stddev in place; fill() a fresh mask.
import { defineStage } from "../../../core/index.ts";

export const zscore = defineStage({
  name: "pure-zscore", version: 1, caps: ["cpu", "simd"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => (bytes / 4) * 3e-6, outputBytes: (bytes) => bytes * 1.25 },
  run: (signal: number[]) => {
    const x = new Float32Array(signal);
    let mean = 0;
    for (const v of x) mean += v;
    mean /= x.length || 1;
    let varSum = 0;
    for (const v of x) varSum += (v - mean) ** 2;
    const sd = Math.sqrt(varSum / (x.length || 1)) || 1;
    const outliers = new Uint8Array(x.length).fill(0);
    for (let i = 0; i < x.length; i++) {
      x[i] = (x[i]! - mean) / sd;
      if (Math.abs(x[i]!) > 3) outliers[i] = 1;
    }
    return { z: Array.from(x), outliers: Array.from(outliers) };
  },
});

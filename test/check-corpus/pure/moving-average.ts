// expect: none
// Exponential and simple moving averages into a fresh Float64Array; the cost model scales with the window.
import { defineStage } from "../../../core/index.ts";

export const movingAverage = defineStage({
  name: "pure-moving-average", version: 1, caps: ["cpu", "simd"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => Math.ceil(bytes / 8) * 2e-6 + 0.01, outputBytes: (bytes) => bytes * 2 },
  run: ({ xs, window, alpha }: { xs: number[]; window: number; alpha: number }) => {
    const sma = new Float64Array(xs.length);
    const ema = new Float64Array(xs.length);
    let sum = 0;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      sum += x;
      if (i >= window) sum -= xs[i - window]!;
      sma[i] = sum / Math.min(i + 1, window);
      ema[i] = i === 0 ? x : alpha * x + (1 - alpha) * ema[i - 1]!;
    }
    return { sma: Array.from(sma), ema: Array.from(ema) };
  },
});

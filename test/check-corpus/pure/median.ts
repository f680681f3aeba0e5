// expect: none
// Median and percentiles over a sorted spread copy (`[...xs].sort(...)`): the input array is never reordered.
import { defineStage } from "../../../core/index.ts";

export const percentiles = defineStage({
  name: "pure-percentiles", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => (bytes / 8) * Math.log2(bytes / 8 + 2) * 1e-6, outputBytes: () => 40 },
  run: (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN };
  },
});

// expect: none
// A fixed-bin histogram into a fresh Uint32Array, with a cost function doing arithmetic on the input size.
import { defineStage } from "../../../core/index.ts";

const BINS = 32;

export const histogram = defineStage({
  name: "pure-histogram", version: 1, caps: ["cpu", "simd"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => Math.max(0.1, (bytes / 8) * 1e-6), outputBytes: () => BINS * 4 + 16 },
  run: (xs: number[]) => {
    const counts = new Uint32Array(BINS);
    if (xs.length === 0) return { min: 0, max: 0, counts: Array.from(counts) };
    const min = Math.min(...xs);
    const max = Math.max(...xs);
    const width = (max - min) / BINS || 1;
    for (const x of xs) {
      const b = Math.min(BINS - 1, Math.floor((x - min) / width));
      counts[b] = (counts[b] ?? 0) + 1;
    }
    return { min, max, counts: Array.from(counts) };
  },
});

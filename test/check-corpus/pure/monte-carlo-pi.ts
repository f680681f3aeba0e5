// expect: none
// Monte-Carlo estimate of pi with a seeded generator (mulberry32 as a local closure), reproducible per seed.
import { defineStage } from "../../../core/index.ts";

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const estimatePi = defineStage({
  name: "pure-monte-carlo-pi", version: 1, caps: ["cpu"], timeoutMs: 5_000,
  cost: { runtimeMs: () => 50, outputBytes: () => 16 },
  run: ({ seed, samples }: { seed: number; samples: number }) => {
    const rand = mulberry32(seed);
    let inside = 0;
    for (let i = 0; i < samples; i++) {
      const x = rand();
      const y = rand();
      if (x * x + y * y <= 1) inside++;
    }
    return { pi: (4 * inside) / samples, samples };
  },
});

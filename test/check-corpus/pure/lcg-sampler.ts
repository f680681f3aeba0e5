// expect: none
// Reservoir sampling with a seeded LCG class declared at module level (BigInt-free 32-bit arithmetic via Math.imul).
import { defineStage } from "../../../core/index.ts";

class Lcg {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    this.#s = (Math.imul(this.#s, 1664525) + 1013904223) >>> 0;
    return this.#s / 0x100000000;
  }
}

export const reservoir = defineStage({
  name: "pure-reservoir-sample", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: () => 1_024 },
  run: ({ seed, k, items }: { seed: number; k: number; items: string[] }) => {
    const rng = new Lcg(seed);
    const sample: string[] = [];
    items.forEach((item, i) => {
      if (i < k) sample.push(item);
      else {
        const j = Math.floor(rng.next() * (i + 1));
        if (j < k) sample[j] = item;
      }
    });
    return sample;
  },
});

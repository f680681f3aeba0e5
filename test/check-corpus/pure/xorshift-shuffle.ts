// expect: none
// A seeded Fisher-Yates shuffle of a copy of the input, using a module-level PRNG class instantiated inside run.
import { defineStage } from "../../../core/index.ts";
import { XorShift32 } from "./lib/xorshift.ts";

export const shuffle = defineStage({
  name: "pure-seeded-shuffle", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: (bytes) => bytes },
  run: (input: { seed: number; items: string[] }) => {
    const rng = new XorShift32(input.seed);
    const out = input.items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  },
});

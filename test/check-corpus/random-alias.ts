// expect: purity/random@14 purity/random@15 purity/random@16 purity/unknown-call@17
// Randomness through aliases and a computed key held in a constant; a computed key we cannot read is a warning.
import { defineStage } from "../../core/index.ts";

const rnd = Math.random;
const KEY = "random";
const M = Math;

export const shuffled = defineStage({
  name: "shuffled", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: (n) => n },
  run: ({ xs, fn }: { xs: number[]; fn: string }) => {
    const copy = [...xs];
    copy.sort(() => rnd() - 0.5);
    const r = Math[KEY]();
    const s = M.random();
    const t = (Math as unknown as Record<string, () => number>)[fn]!();
    return { copy, r, s, t };
  },
});

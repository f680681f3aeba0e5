// expect: none
// Top-k scores: `slice().sort()` on a copy, then `reverse()` of that copy; the input order is kept.
import { defineStage } from "../../../core/index.ts";

export const topK = defineStage({
  name: "pure-top-k", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 3e-6, outputBytes: () => 400 },
  run: ({ scores, k }: { scores: Array<{ user: string; score: number }>; k: number }) => {
    const ranked = scores.slice().sort((a, b) => a.score - b.score).reverse();
    const names = scores.map((s) => s.user).slice().sort();
    return { top: ranked.slice(0, k), alphabetical: names };
  },
});

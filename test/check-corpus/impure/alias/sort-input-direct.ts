// expect: purity/outer-write@10 purity/outer-write@16
// sort() and reverse() mutate their receiver: called on the input they write it. toSorted(),
// a spread copy, or sorting a mapped array are fine.
import { defineStage } from "../../../../core/index.ts";

export const leaderboard = defineStage({
  name: "leaderboard", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => bytes / 10_000, outputBytes: () => 80 },
  run: (scores: number[]) => {
    const sorted = scores.sort((a, b) => b - a);
    const byAsc = scores.toSorted((a, b) => a - b);
    const copy = [...scores];
    copy.sort((a, b) => b - a);
    copy.reverse();
    const halves = scores.map((s) => s / 2).sort((a, b) => a - b);
    scores.reverse();
    return { top: sorted.slice(0, 10), min: byAsc[0], median: halves[halves.length >> 1], n: copy.length };
  },
});

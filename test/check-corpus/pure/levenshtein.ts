// expect: none
// Fuzzy matching by Levenshtein distance with two rolling Uint16Array rows (swapped, both local).
import { defineStage } from "../../../core/index.ts";

function distance(a: string, b: string): number {
  let prev = new Uint16Array(b.length + 1);
  let cur = new Uint16Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

export const closest = defineStage({
  name: "pure-levenshtein", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => bytes * 5e-5, outputBytes: () => 64 },
  run: ({ query, candidates }: { query: string; candidates: string[] }) => {
    const scored = candidates.map((c) => ({ c, d: distance(query.toLowerCase(), c.toLowerCase()) }));
    const best = scored.toSorted((x, y) => x.d - y.d || (x.c < y.c ? -1 : 1))[0];
    return best ? { match: best.c, distance: best.d } : null;
  },
});

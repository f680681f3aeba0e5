// expect: none
// Word frequencies with reduce building a fresh object, and a Set of stop words built inside run.
import { defineStage } from "../../../core/index.ts";

export const wordFreq = defineStage({
  name: "pure-word-frequency", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => bytes * 2e-5, outputBytes: (bytes) => bytes / 2 },
  run: (text: string) => {
    const stop = new Set(["the", "a", "an", "and", "of", "to"]);
    const words = text.toLowerCase().split(/[^a-z']+/).filter((w) => w.length > 0 && !stop.has(w));
    return words.reduce<Record<string, number>>((acc, w) => {
      acc[w] = (acc[w] ?? 0) + 1;
      return acc;
    }, {});
  },
});

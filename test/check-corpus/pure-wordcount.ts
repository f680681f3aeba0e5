// expect: none
// Word counting with a local Map, for-of over entries, a closure factory and a sort of a fresh array.
import { all, defineJob, defineStage } from "../../core/index.ts";

type Counts = Record<string, number>;

const makeFilter = (min: number) => (w: string) => w.length >= min;
const longEnough = makeFilter(2);

export const countChunk = defineStage({
  name: "count-chunk", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (n) => n * 2e-5, outputBytes: (n) => n },
  run: (chunk: string): Counts => {
    const counts = new Map<string, number>();
    for (const w of chunk.split(/\W+/).filter(longEnough)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const out: Counts = {};
    for (const [w, c] of [...counts.entries()].sort((a, b) => b[1] - a[1])) out[w] = c;
    return out;
  },
});

export const merge = defineStage({
  name: "merge", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (n) => n * 1e-5, outputBytes: (n) => n },
  run: (tables: readonly Counts[]): Counts => {
    const out: Counts = {};
    for (const t of tables) for (const [w, c] of Object.entries(t)) out[w] = (out[w] ?? 0) + c;
    return out;
  },
});

export const wordCount = defineJob({
  name: "word-count",
  *run(text: string) {
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 1000) chunks.push(text.slice(i, i + 1000));
    const tables = yield* all(chunks.map((c) => countChunk(c)));
    return yield* merge(tables);
  },
});

// expect: none
// Simulate an LRU cache over an access trace to compute the hit rate: a Map used as an ordered cache, local to run.
import { defineStage } from "../../../core/index.ts";

export const lruHitRate = defineStage({
  name: "pure-lru-simulate", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: () => 32 },
  run: ({ capacity, trace }: { capacity: number; trace: string[] }) => {
    const cache = new Map<string, true>();
    let hits = 0;
    for (const k of trace) {
      if (cache.has(k)) {
        hits++;
        cache.delete(k);
      } else if (cache.size >= capacity) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      cache.set(k, true);
    }
    cache.clear();
    return { hits, misses: trace.length - hits, rate: trace.length ? hits / trace.length : 0 };
  },
});

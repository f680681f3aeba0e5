// expect: purity/outer-write@14 purity/outer-write@17 purity/outer-write@18 purity/outer-write@19 purity/outer-write@20 purity/outer-read@21
// Writes to module-level state: a counter, a memo cache, a log, a field of a module object.
import { defineStage } from "../../core/index.ts";

let calls = 0;
const cache = new Map<number, number>();
const log: string[] = [];
const stats = { last: 0 };

export const memo = defineStage({
  name: "memo", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (x: number) => {
    calls++;
    const hit = cache.get(x);
    if (hit !== undefined) return hit;
    cache.set(x, x * x);
    log.push(`miss ${x}`);
    stats.last = x;
    delete (stats as { last?: number }).last;
    return x * x + calls;
  },
});

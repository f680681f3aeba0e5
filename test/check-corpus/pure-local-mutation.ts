// expect: none
// Mutation of locals only: let counters, local arrays (push/sort/splice), Map/Set, typed arrays,
// a reduce accumulator that starts fresh, Object.assign onto a fresh object, new Date(fixed).
import { defineStage } from "../../core/index.ts";

export const stats = defineStage({
  name: "stats", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (n) => n * 1e-4, outputBytes: (n) => n },
  run: (xs: number[]) => {
    let total = 0;
    let count = 0;
    const seen = new Set<number>();
    const freq = new Map<number, number>();
    const sorted = xs.slice();
    sorted.sort((a, b) => a - b);
    sorted.reverse();
    const copy = [...xs];
    copy.splice(0, 1);
    copy.push(42);
    const buf = new Float64Array(xs.length);
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] ?? 0;
      total += x;
      count++;
      buf[i] = x * 2;
      seen.add(x);
      freq.set(x, (freq.get(x) ?? 0) + 1);
    }
    buf.fill(0, 0, 1);
    const grouped = xs.reduce((acc, x) => {
      const key = x % 2 === 0 ? "even" : "odd";
      (acc[key] ??= []).push(x);
      return acc;
    }, {} as Record<string, number[]>);
    const out = Object.assign({}, { total, count });
    out.total += 1;
    const epoch = new Date(0).getTime() + Date.UTC(2020, 0, 1);
    xs.forEach((x) => {
      total += x;
    });
    return { out, distinct: seen.size, freq: [...freq], grouped, sorted, copy, first: buf[0], epoch };
  },
});

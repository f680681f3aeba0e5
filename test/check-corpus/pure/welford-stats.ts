// expect: none
// Streaming statistics with a module-level Welford accumulator class; one instance per group created inside run.
import { defineStage } from "../../../core/index.ts";

class Welford {
  n = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  push(x: number): this {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    return this;
  }
  get variance(): number {
    return this.n > 1 ? this.m2 / (this.n - 1) : 0;
  }
  toJSON() {
    return { n: this.n, mean: this.mean, sd: Math.sqrt(this.variance), min: this.min, max: this.max };
  }
}

export const groupStats = defineStage({
  name: "pure-welford-stats", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: () => 2_048 },
  run: (rows: Array<{ group: string; value: number }>) => {
    const acc = new Map<string, Welford>();
    for (const r of rows) {
      let w = acc.get(r.group);
      if (!w) { w = new Welford(); acc.set(r.group, w); }
      w.push(r.value);
    }
    return Object.fromEntries([...acc].map(([g, w]) => [g, w.toJSON()]));
  },
});

// expect: none
// Sales aggregated by region with reduce into a fresh accumulator object (nested objects created inside the callback).
import { defineStage } from "../../../core/index.ts";

type Sale = { region: string; amount: number };

export const byRegion = defineStage({
  name: "pure-sales-by-region", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: () => 512 },
  run: (sales: Sale[]) =>
    sales.reduce(
      (acc, s) => {
        const r = acc[s.region] ?? (acc[s.region] = { count: 0, total: 0, max: -Infinity });
        r.count++;
        r.total += s.amount;
        r.max = Math.max(r.max, s.amount);
        return acc;
      },
      {} as Record<string, { count: number; total: number; max: number }>,
    ),
});

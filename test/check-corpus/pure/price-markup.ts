// expect: none
// Object.fromEntries(Object.entries(x).map(...)): apply a markup to each price, round, and filter.
import { defineStage } from "../../../core/index.ts";

export const markup = defineStage({
  name: "pure-price-markup", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: (bytes) => bytes },
  run: ({ prices, pct }: { prices: Record<string, number>; pct: number }) =>
    Object.fromEntries(
      Object.entries(prices)
        .filter(([, p]) => p > 0)
        .map(([sku, p]) => [sku.toUpperCase(), Math.round(p * (1 + pct / 100) * 100) / 100]),
    ),
});

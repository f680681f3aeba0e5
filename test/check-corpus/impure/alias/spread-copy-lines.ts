// expect: purity/outer-write@17
// Pricing an order: `[...order.lines]` copies the array, not the line objects, so setting a
// line's total writes the caller's input. Sorting and pushing to the copy, or writing a
// structuredClone of the lines, is fine.
import { defineStage } from "../../../../core/index.ts";

interface Line { sku: string; qty: number; unitCents: number; totalCents?: number }
interface Order { id: string; lines: Line[] }

export const priceLines = defineStage({
  name: "price-lines", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => 1 + bytes / 100_000, outputBytes: (bytes) => bytes * 2 },
  run: (order: Order) => {
    const lines = [...order.lines];
    lines.sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
    lines.push({ sku: "shipping", qty: 1, unitCents: 499 });
    for (const line of lines) line.totalCents = line.qty * line.unitCents;
    const priced = structuredClone(order.lines);
    for (const line of priced) line.totalCents = line.qty * line.unitCents;
    const total = priced.reduce((sum, l) => sum + (l.totalCents ?? 0), 0);
    return { id: order.id, lines: priced, count: lines.length, total };
  },
});

// expect: none
// Spreads make fresh shallow copies; the stage writes only the copies' own top-level fields.
import { defineStage } from "../../../core/index.ts";

type Item = { sku: string; qty: number; unit: number };
type Order = { id: string; items: Item[]; currency: string; total?: number; status?: string };

export const enrich = defineStage({
  name: "pure-order-enrich", version: 1, caps: ["cpu"], timeoutMs: 200,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: (bytes) => bytes + 48 },
  run: (order: Order) => {
    const o = { ...order };
    o.items = order.items.map((it) => ({ ...it }));
    for (const it of o.items) it.qty = Math.max(0, Math.trunc(it.qty));
    o.total = o.items.reduce((s, it) => s + it.qty * it.unit, 0);
    o.status = o.total > 0 ? "priced" : "empty";
    o.currency = o.currency.toUpperCase();
    return o;
  },
});

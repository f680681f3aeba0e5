// expect: purity/outer-write@12 purity/outer-write@14
// Object.values and Object.entries return new arrays of the input's own objects: writing the
// elements writes the input. Object.keys yields strings; rebuilding with fresh objects is fine.
import { defineStage } from "../../../../core/index.ts";

interface Product { name: string; stock: number; lowStock?: boolean }

export const flagLowStock = defineStage({
  name: "flag-low-stock", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => bytes / 50_000, outputBytes: (bytes) => bytes },
  run: (inv: { threshold: number; byId: Record<string, Product> }) => {
    for (const p of Object.values(inv.byId)) p.lowStock = p.stock < inv.threshold;
    const [firstEntry] = Object.entries(inv.byId);
    if (firstEntry) firstEntry[1].name = firstEntry[1].name.trim();
    const out: Record<string, Product> = {};
    for (const id of Object.keys(inv.byId)) {
      const p = { ...inv.byId[id]! };
      p.lowStock = p.stock < inv.threshold;
      out[id] = p;
    }
    return out;
  },
});

// expect: purity/outer-write@10 purity/outer-write@13 purity/outer-write@16 purity/outer-write@19
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
type R = { k: string; v: number };
// Input rows pushed into fresh buckets through the everyday grouping idioms; the rows are still
// the input's, so writing them through the buckets writes the input. (A plain `top.push(u)` is caught.)
export const a = defineStage({ name: "bucket-ternary", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (rs: R[]) => { const big: R[] = [], small: R[] = [];
    for (const r of rs) (r.v > 3 ? big : small).push(r);
    for (const r of big) r.v = 3; return [big, small]; } });
export const b = defineStage({ name: "bucket-nullish", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (rs: R[]) => { const g: Record<string, R[]> = {}; for (const r of rs) (g[r.k] ??= []).push(r);
    for (const k in g) g[k]![0]!.v = 0; return g; } });
export const c = defineStage({ name: "bucket-map-get", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (rs: R[]) => { const g = new Map<string, R[]>(); for (const r of rs) { let l = g.get(r.k); if (!l) g.set(r.k, l = []); l.push(r); }
    for (const l of g.values()) l[0]!.v = 0; return [...g]; } });
export const d = defineStage({ name: "bucket-or-assign", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (rs: R[]) => { const g: Record<string, R[]> = {}; for (const r of rs) { const l = g[r.k] || (g[r.k] = []); l.push(r); }
    g["a"]![0]!.v = 0; return g; } });

// expect: none
// Kahn's topological sort of a build graph: in-degree Map, adjacency Map of Sets, queue array, cycle -> fixed Error.
import { defineStage } from "../../../core/index.ts";

export const topoSort = defineStage({
  name: "pure-topo-sort", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => bytes * 5e-6, outputBytes: (bytes) => bytes / 2 },
  run: (deps: Record<string, string[]>) => {
    const indeg = new Map<string, number>();
    const out = new Map<string, Set<string>>();
    for (const [node, reqs] of Object.entries(deps)) {
      indeg.set(node, indeg.get(node) ?? 0);
      for (const r of reqs) {
        if (!out.has(r)) out.set(r, new Set());
        if (!indeg.has(r)) indeg.set(r, 0);
        const succ = out.get(r)!;
        if (!succ.has(node)) { succ.add(node); indeg.set(node, (indeg.get(node) ?? 0) + 1); }
      }
    }
    const queue = [...indeg].filter(([, d]) => d === 0).map(([n]) => n).sort();
    const order: string[] = [];
    while (queue.length > 0) {
      const n = queue.shift()!;
      order.push(n);
      for (const m of [...(out.get(n) ?? [])].sort()) {
        const d = indeg.get(m)! - 1;
        indeg.set(m, d);
        if (d === 0) queue.push(m);
      }
    }
    if (order.length !== indeg.size) throw new Error("dependency cycle");
    return order;
  },
});

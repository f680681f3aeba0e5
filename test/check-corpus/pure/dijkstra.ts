// expect: none
// Graph shortest path (Dijkstra) with a local Map of distances, a local Set of visited nodes and a
// binary heap class defined at module level, instantiated inside run.
import { defineStage } from "../../../core/index.ts";
import { MinHeap } from "./lib/min-heap.ts";

type Graph = { edges: Array<[string, string, number]>; source: string };

export const shortestPaths = defineStage({
  name: "pure-dijkstra", version: 1, caps: ["cpu"], timeoutMs: 5_000,
  cost: { runtimeMs: (bytes) => 1 + bytes * 3e-5, outputBytes: (bytes) => Math.ceil(bytes / 2) },
  run: (g: Graph) => {
    const adj = new Map<string, Array<[string, number]>>();
    for (const [a, b, w] of g.edges) {
      const list = adj.get(a) ?? [];
      list.push([b, w]);
      adj.set(a, list);
    }
    const dist = new Map<string, number>([[g.source, 0]]);
    const done = new Set<string>();
    const heap = new MinHeap<string>();
    heap.push(0, g.source);
    while (heap.size > 0) {
      const top = heap.pop();
      if (!top) break;
      const [d, u] = top;
      if (done.has(u)) continue;
      done.add(u);
      for (const [v, w] of adj.get(u) ?? []) {
        const nd = d + w;
        if (nd < (dist.get(v) ?? Infinity)) { dist.set(v, nd); heap.push(nd, v); }
      }
    }
    return Object.fromEntries(dist);
  },
});

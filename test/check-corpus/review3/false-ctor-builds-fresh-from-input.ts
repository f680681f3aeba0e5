// expect: none
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
type G = { edges: [string, string, number][] };
// The constructor reads the input but stores only fresh arrays of primitives
// (destructured strings/numbers); writing them is local, yet reported as the input's.
class Graph {
  adj = new Map<string, [string, number][]>();
  constructor(g: G) {
    for (const [a, b, w] of g.edges) {
      let l = this.adj.get(a);
      if (!l) { l = []; this.adj.set(a, l); }
      l.push([b, w]);
    }
  }
  neighbors(n: string) { return this.adj.get(n) ?? []; }
}
export const s = defineStage({ name: "graph-fresh", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (g: G) => {
    const gr = new Graph(g);
    for (const [, l] of gr.adj) l.sort((x, y) => x[1] - y[1]);
    for (const e of gr.neighbors("a")) e[1] = 0;
    return [...gr.adj.entries()];
  } });

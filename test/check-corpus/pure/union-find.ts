// expect: none
// Connected components with a union-find class declared at module level (path compression writes this.parent).
import { defineStage } from "../../../core/index.ts";

class DisjointSet {
  readonly parent: Int32Array;
  readonly rank: Uint8Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    this.rank = new Uint8Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[x] !== r) {
      const next = this.parent[x]!;
      this.parent[x] = r;
      x = next;
    }
    return r;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    if (this.rank[ra]! < this.rank[rb]!) this.parent[ra] = rb;
    else if (this.rank[ra]! > this.rank[rb]!) this.parent[rb] = ra;
    else { this.parent[rb] = ra; this.rank[ra]!++; }
  }
}

export const components = defineStage({
  name: "pure-union-find", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => bytes * 2e-6, outputBytes: (bytes) => bytes / 2 },
  run: ({ n, edges }: { n: number; edges: Array<[number, number]> }) => {
    const ds = new DisjointSet(n);
    for (const [a, b] of edges) ds.union(a, b);
    const roots = new Set<number>();
    for (let i = 0; i < n; i++) roots.add(ds.find(i));
    return roots.size;
  },
});

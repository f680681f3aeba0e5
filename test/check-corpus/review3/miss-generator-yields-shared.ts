// expect: purity/outer-write@12 purity/outer-write@15
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
type Node = { id: string; seen?: boolean; children: Node[] };
const TABLE = [{ n: 0 }, { n: 1 }];
function* eachRow() { for (const r of TABLE) yield r; }
// A tree walker helper generator: what it yields are the input's nodes (and module rows above);
// writing them in the consumer's for-of is not reported (a class's [Symbol.iterator] is).
function* walk(t: Node): Generator<Node> { yield t; for (const c of t.children) yield* walk(c); }
export const a = defineStage({ name: "gen-module-rows", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (k: number) => { for (const r of eachRow())
    r.n += k; return TABLE.length; } });
export const b = defineStage({ name: "gen-walk-input", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (tree: Node) => { let n = 0; for (const node of walk(tree)) {
    node.seen = true; n++; } return n; } });

// expect: purity/outer-write@9 purity/outer-write@11 purity/outer-write@13 purity/outer-write@14
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
// Shared built-in iterators (not generators): each run consumes what earlier runs left.
const slots = ["a", "b", "c"].values();
const keys = new Map([["a", 1], ["b", 2]]).keys();
export const s = defineStage({ name: "destr-iter", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (n: number) => {
    const [slot] = slots;
    let k = "";
    for (const x of keys) { k = x; break; }
    return slot + k + n; } });
export const s2 = defineStage({ name: "spread-iter", version: 1, caps: ["cpu"], timeoutMs: 100, cost, run: (n: number) => [...slots].length + n });
export const s3 = defineStage({ name: "from-iter", version: 1, caps: ["cpu"], timeoutMs: 100, cost, run: (n: number) => Array.from(keys).length + n });

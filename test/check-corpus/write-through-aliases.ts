// expect: purity/outer-write@14 purity/outer-write@15 purity/outer-write@34
// Writes through a let later assigned module state, and through an element a module-level
// container hands out (Map.get). The same on fresh locals is fine.
import { defineStage } from "../../core/index.ts";

const arr: number[] = [];
const registry = new Map<string, number[]>([["a", []]]);

export const aliased = defineStage({
  name: "aliased", version: 1, caps: ["cpu"], timeoutMs: 10, cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (x: number) => {
    let a: number[] = [];
    a = arr;
    a.push(x);
    registry.get("a")!.push(x);
    const local = new Map<string, number[]>([["a", []]]);
    local.get("a")!.push(x);
    let b: number[] = [];
    b = [x];
    b.push(x);
    return a.length;
  },
});

const state = { n: 0 };
const getState = () => state;
const makeState = () => ({ n: 0 });
export const handedOut = defineStage({
  name: "handed-out", version: 1, caps: ["cpu"], timeoutMs: 10, cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (x: number) => {
    const mine = makeState();
    mine.n += x;
    const st = getState();
    st.n += x;
    return st.n + mine.n;
  },
});

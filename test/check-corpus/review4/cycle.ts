// expect: purity/outer-write@15
import { defineStage } from "paxflow";
const SHARED: number[] = [];
export const s = defineStage({
  name: "s", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: number) => {
    let a: number[] = [];
    let b: number[] = [];
    a = SHARED;
    b = a;
    a = b;
    const c = [a];
    c.push([]);
    b.push(input);
    return 1;
  },
});

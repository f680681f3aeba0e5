// expect: purity/outer-write@12 purity/outer-write@9
import { defineStage } from "paxflow";
const SHARED: number[] = [];
export const s = defineStage({
  name: "s", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: number[]) => {
    let b: number[] = [];
    for (b of [SHARED]) b.push(1);
    let c: number[] = [];
    c ||= SHARED;
    c.push(2);
    return 1;
  },
});

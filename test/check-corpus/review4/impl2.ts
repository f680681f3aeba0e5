// expect: purity/outer-write@5
import { defineStage } from "paxflow";
const LOG: number[] = [];
interface Scorer { score(x: number): number }
function score(x: number): number { LOG.push(x); return x; }
const lit: Scorer = { score };
export const s = defineStage({
  name: "s", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: number, sc: Scorer = lit) => {
    return sc.score(input);
  },
});

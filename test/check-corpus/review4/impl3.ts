// expect: purity/outer-write@5
import { defineStage } from "paxflow";
const LOG: number[] = [];
interface Scorer { score(x: number): number }
class Base { score(x: number): number { LOG.push(x); return x; } }
class Sub extends Base implements Scorer {}
const sub: Scorer = new Sub();
export const s = defineStage({
  name: "s", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: number) => {
    const sc: Scorer = sub;
    return sc.score(input);
  },
});

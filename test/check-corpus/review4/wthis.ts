// expect: purity/outer-write@15
import { defineStage } from "paxflow";
class Counter {
  n = 0;
  a(): void { if (this.n < 0) this.b(); this.n++; }
  b(): void { this.a(); }
}
const C = new Counter();
export const s = defineStage({
  name: "s", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: number) => {
    const local = new Counter();
    local.a();
    C.b();
    return input;
  },
});

// expect: purity/clock@9 purity/clock@10 purity/clock@11 purity/clock@12 purity/clock@13
// Clocks: Date.now(), new Date(), Date(), performance.now().
import { defineStage } from "../../core/index.ts";

export const clocks = defineStage({
  name: "clocks", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (x: number) => {
    const a = Date.now();
    const b = new Date();
    const c = Date();
    const d = performance.now();
    const e = new Date;
    const fixed = new Date(x).getTime(); // a fixed instant: fine
    return [a, b, c, d, e, fixed];
  },
});

// expect: purity/outer-write@7
import { defineStage, defineJob, all } from "../../../core/index.ts";
// Unary + calls [Symbol.toPrimitive], which bumps module state (like the documented valueOf gap).
const ticks = { n: 0, [Symbol.toPrimitive]() { return ++this.n; } };
export const s = defineStage({
  name: "miss-symbol-toprimitive-counter", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (x: number) => x + +ticks,
});

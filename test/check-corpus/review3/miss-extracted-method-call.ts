// expect: purity/outer-write@11
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
class Rng {
  s = 42;
  next(): number { this.s = (this.s * 1664525 + 1013904223) >>> 0; return this.s / 2 ** 32; }
}
const rng = new Rng();
// The method taken off the instance and invoked with .call(rng): writes module-level rng.
export const s = defineStage({ name: "method-call", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (n: number) => { const step = rng.next; return step.call(rng) + n; } });

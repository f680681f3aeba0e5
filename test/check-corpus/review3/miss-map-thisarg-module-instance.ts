// expect: purity/outer-write@11
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
class Rng {
  s = 42;
  next(): number { this.s = (this.s * 1664525 + 1013904223) >>> 0; return this.s / 2 ** 32; }
}
const rng = new Rng();
// map(method, thisArg): rng.next runs with this = module-level rng and advances it every call.
export const s = defineStage({ name: "map-thisarg", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (xs: number[]) => xs.map(rng.next, rng) });

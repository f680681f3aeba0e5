// expect: purity/outer-write@11 purity/outer-read@12
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
class Bag {
  items: string[] = [];
  add(s: string) { this.items.push(s); }
}
export const bag = new Bag();
// Even a plain public field of a module-level instance written by its own method is not
// treated as mutable module state when read directly.
export const add = defineStage({ name: "bag-add", version: 1, caps: ["cpu"], timeoutMs: 100, cost, run: (s: string) => { bag.add(s); return s; } });
export const size = defineStage({ name: "bag-size", version: 1, caps: ["cpu"], timeoutMs: 100, cost, run: (s: string) => s + bag.items.length });

// expect: purity/outer-write@14 purity/outer-read@16 purity/outer-read@17 purity/outer-read@18
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
class Registry {
  #items: string[] = [];
  add(s: string) { this.#items.push(s); }
  get count() { return this.#items.length; }
  has(s: string) { return this.#items.includes(s); }
  list() { return this.#items; }
}
const registry = new Registry();
// reg-add writes the module-level instance at run time; the readers below see its history.
export const add = defineStage({ name: "reg-add", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (s: string) => { registry.add(s); return s; } });
// Reading through a getter / a method / a method returning the field: never purity/outer-read.
export const count = defineStage({ name: "reg-count", version: 1, caps: ["cpu"], timeoutMs: 100, cost, run: (s: string) => s + registry.count });
export const has = defineStage({ name: "reg-has", version: 1, caps: ["cpu"], timeoutMs: 100, cost, run: (s: string) => registry.has(s) });
export const list = defineStage({ name: "reg-list", version: 1, caps: ["cpu"], timeoutMs: 100, cost, run: (s: string) => registry.list().length });

// expect: purity/outer-write@14
import { defineStage, defineJob, all } from "../../../core/index.ts";
const AUDIT: string[] = [];
// A constructor parameter property defaulting to module state; the local instance writes it.
class Ledger {
  constructor(private log: string[] = AUDIT) {}
  post(x: string) {
    this.log.push(x);
    return this.log.length;
  }
}
export const s = defineStage({
  name: "miss-ctor-param-default-module", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (x: string) => new Ledger().post(x),
});

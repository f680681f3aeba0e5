// expect: purity/outer-write@14
import { defineStage, defineJob, all } from "../../../core/index.ts";
const SHARED: string[] = [];
// A class field initialised with module state: every local instance shares SHARED.
class Buf {
  items = SHARED;
  add(x: string) {
    this.items.push(x);
    return this;
  }
}
export const s = defineStage({
  name: "miss-field-init-module-array", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (xs: string[]) => { const b = new Buf(); for (const x of xs) b.add(x); return b.items.length; },
});

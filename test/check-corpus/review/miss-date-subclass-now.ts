// expect: purity/clock@9
import { defineStage, defineJob, all } from "../../../core/index.ts";
// A Date subclass constructed with no arguments reads the clock (new Date() is caught; new D() with const D = Date too).
class Stamp extends Date {
  iso() { return this.toISOString(); }
}
export const s = defineStage({
  name: "miss-date-subclass-now", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (x: string) => ({ x, at: new Stamp().iso() }),
});

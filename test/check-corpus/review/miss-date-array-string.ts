// expect: purity/host@8
import { defineStage, defineJob, all } from "../../../core/index.ts";
// String([d]) and `${[d]}` call Date.prototype.toString through Array.prototype.toString (d.toString() is caught).
export const s = defineStage({
  name: "miss-date-array-string", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (ms: number) => {
    const d = new Date(ms);
    return String([d]);
  },
});

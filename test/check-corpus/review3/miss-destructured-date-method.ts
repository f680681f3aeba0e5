// expect: purity/host@7
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
// Destructured inside the function (the module-level form is caught).
export const s = defineStage({ name: "destr-gethours", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (ts: number) => { const { getHours } = Date.prototype;
    return getHours.call(new Date(ts)); } });

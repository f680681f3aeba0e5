// expect: purity/host@6
import { defineStage, defineJob, all } from "../../../core/index.ts";
// Array.prototype.join calls Date.prototype.toString: local time, host time zone.
export const s = defineStage({
  name: "miss-dates-join", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (ms: number[]) => ms.map((m) => new Date(m)).join(", "),
});

// expect: purity/host@6
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
// Date.prototype.toString borrowed and called: local-time text ("... GMT+0100 (Central European Standard Time)").
export const s = defineStage({ name: "date-proto-call", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (ts: number) => Date.prototype.toString.call(new Date(ts)) });

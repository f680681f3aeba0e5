// expect: purity/host@3
import { defineStage } from "../../../core/index.ts";
export const s = defineStage({ name: "m/dcall", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 }, run: (input: { t: number }) => Date.prototype.toString.call(new Date(input.t)) });

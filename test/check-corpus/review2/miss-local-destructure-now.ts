// expect: purity/clock@3
import { defineStage } from "../../../core/index.ts";
export const s = defineStage({ name: "m/now", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 }, run: (input: { t: number }) => { const { now } = Date; return now() - input.t; } });

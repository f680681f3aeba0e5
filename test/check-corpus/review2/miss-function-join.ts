// expect: purity/host@3
import { defineStage } from "../../../core/index.ts";
export const s = defineStage({ name: "m/fjoin", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 }, run: (input: { t: number }) => [(x: number) => x + input.t].join("") });
